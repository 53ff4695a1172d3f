"""Feed simulator: determinism, file contracts, truth coverage and delivery defects."""

from __future__ import annotations

import json

from sources.feeds import FEEDS
from tests.simulator_fixtures import BEARING, DIRS, SMALL, TS, _files, _run, q


def test_same_seed_gives_identical_bytes(small, tmp_path):
    _run(tmp_path, **SMALL)
    a, b = _files(tmp_path), _files(small)
    assert a.pop("truth/params.json") != b.pop("truth/params.json")  # only the output path differs
    assert a == b
    _run(tmp_path / "other", **{**SMALL, "days": 1, "seed": SMALL["seed"] + 1})
    day1 = "web/web_2025-01-01.jsonl.gz"
    assert _files(tmp_path / "other" / "landing")[day1] != _files(small / "landing")[day1]


def test_one_more_day_leaves_earlier_files_untouched(small, tmp_path):
    _run(tmp_path, **{**SMALL, "days": SMALL["days"] + 1})
    before, after = _files(small / "landing"), _files(tmp_path / "landing")
    assert before and all(after.get(k) == v for k, v in before.items())
    new = set(after) - set(before)
    assert {"pos/pos_2025-01-31.csv", "callcenter/calls_2025-01-31.csv"} <= new
    assert all("2025-01-31" in k for k in new)


def test_layout_and_summary(medium):
    root, summary = medium
    land = root / "landing"
    assert list((land / "web").glob("*.jsonl.gz")) and list((land / "web").glob("*.jsonl"))
    assert list((land / "callcenter").glob("*.csv")) and list((land / "callcenter").glob("*.jsonl"))
    assert min(p.name for p in (land / "pos").glob("*.csv")) == "pos_2024-10-10.csv"
    assert {p.name.split("_")[0] for p in (land / "lists/compiled").glob("*.csv")} == {
        "acme-data",
        "listco",
        "datamart-uk",
    }
    assert len(list((land / "lists/audience").glob("*.csv"))) >= 3
    assert list((land / "lists/response").glob("*.csv"))
    assert json.loads((root / "truth/params.json").read_text())["seed"] == 5
    assert summary["rows"]["web"] > 3 * summary["rows"]["pos"] > 0 and summary["seconds"] > 0


def test_rows_honour_contracts_except_deliberate_malformed(db, medium):
    _, summary = medium
    total_bad = 0
    for feed in DIRS:
        rows, bad, keys_ok = q(
            db,
            f"""SELECT count(*), count(*) FILTER (_violations > 0 OR _rejected),
            bool_and(_keys_ok) FROM {feed}""",
        )[0]
        assert keys_ok, f"{feed}: a JSON object has keys outside the contract"
        assert bad == sum(summary["malformed"].get(feed, {}).values()), feed
        assert bad <= max(3, 0.005 * rows), f"{feed}: too many broken rows ({bad} of {rows})"
        total_bad += bad
    kinds = {k for m in summary["malformed"].values() for k in m}
    assert kinds == {"bad_timestamp", "missing_required", "column_count", "truncated_json", "non_numeric"}
    assert total_bad > 10


def test_values_are_json_and_csv_safe(db):
    """Generated text never holds quotes, backslashes or control characters (JSON is built unescaped)."""
    for feed in DIRS:
        cols = FEEDS[feed].column_names
        cond = " OR ".join(f"regexp_matches(coalesce({c}, ''), '[\"\\\\\\x00-\\x1f]')" for c in cols)
        assert q(db, f"SELECT count(*) FROM {feed} WHERE {cond}")[0][0] == 0, feed


def test_truth_covers_every_contact_bearing_record(db):
    for feed, (key, cond) in BEARING.items():
        missing = q(
            db,
            f"""SELECT count(DISTINCT l.{key}) FROM {feed} l
            ANTI JOIN (SELECT source_record_id FROM records WHERE source_system = '{feed}') t
              ON l.{key} = t.source_record_id
            WHERE NOT l._rejected AND l._violations = 0 AND ({cond})""",
        )[0][0]
        assert missing == 0, f"{feed}: {missing} contact-bearing records without truth"
    assert q(db, "SELECT count(*) FROM records ANTI JOIN persons USING (person_id)")[0][0] == 0
    dupes = q(db, "SELECT count(*) - count(DISTINCT (source_system, source_record_id)) FROM records")
    assert dupes[0][0] == 0
    # Anonymous browsing and cash sales without any identifier carry no truth row.
    assert q(db, "SELECT count(*) FROM web ANTI JOIN records ON event_id = source_record_id")[0][0] > 1000


def test_strong_identifier_on_almost_every_record(db):
    """Identity resolution stays solvable: nearly every linked record has an id, e-mail or phone."""
    for feed, ref in (("callcenter", "customer_ref"), ("pos", "customer_ref"), ("web", "user_id")):
        weak, n = q(
            db,
            f"""SELECT count(*) FILTER ({ref} IS NULL AND email IS NULL AND phone IS NULL),
            count(*)
            FROM {feed} f JOIN records r ON r.source_record_id = f.{BEARING[feed][0]}""",
        )[0]
        assert weak <= 0.01 * n, feed


def test_duplicate_deliveries_and_late_rows(medium, db):
    root, summary = medium
    resent = list((root / "landing").rglob("*_resent*"))
    assert resent and sum(summary["duplicate_files"].values()) == len(resent)
    for p in resent:
        assert p.read_bytes() == p.with_name(p.name.replace("_resent", "")).read_bytes()
    assert min(summary["late_rows"][f] for f in ("web", "pos", "callcenter")) > 0
    late_web = q(
        db,
        f"""SELECT count(*) FROM web WHERE _violations = 0 AND NOT _rejected AND
        CAST({TS.format("occurred_at")} AS DATE)
          < CAST(regexp_extract(_file, '\\d{{4}}-\\d\\d-\\d\\d') AS DATE) - 1""",
    )
    assert late_web[0][0] > 0
    # The lines of a transaction travel together, also when late.
    split = q(
        db,
        """SELECT count(*) FROM (SELECT transaction_id FROM pos WHERE transaction_id IS NOT NULL
        GROUP BY 1 HAVING count(DISTINCT _file) > 1)""",
    )
    assert split[0][0] == 0


def test_timestamps_carry_offsets(db):
    offsets = {r[0] for r in q(db, "SELECT DISTINCT right(transaction_at, 6) FROM pos WHERE _violations = 0")}
    assert {"+00:00", "+01:00"} <= offsets
    chat = q(db, "SELECT count(*) FROM callcenter WHERE _file LIKE 'chat%' AND started_at LIKE '%+00:00'")
    assert chat[0][0] > 0
