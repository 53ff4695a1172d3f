"""Feed simulator: determinism, file contracts, truth coverage, delivery defects and behaviour."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from sources.contracts import CONTACT_COLUMN_NAMES
from sources.feeds import FEEDS
from sources.simulator import simulate

SMALL = {"customers": 300, "days": 30, "seed": 11}
# 90 days from 10 October: a telesales campaign, Black Friday, the December peak, all three vendors.
MEDIUM = {"customers": 1500, "days": 90, "seed": 5, "start_date": date(2024, 10, 10)}
DIRS = {
    "web": "web",
    "pos": "pos",
    "callcenter": "callcenter",
    "response_list": "lists/response",
    "compiled_list": "lists/compiled",
    "campaign_audience": "lists/audience",
}
# Records that identify a person, by feed: (id column, SQL condition on a landing row).
CONTACT = " OR ".join(f"{c} IS NOT NULL" for c in CONTACT_COLUMN_NAMES)
BEARING = {
    "web": (
        "event_id",
        f"user_id IS NOT NULL OR event_type IN ('login', 'signup', 'form_submit') OR {CONTACT}",
    ),
    "pos": ("transaction_id", f"customer_ref IS NOT NULL OR {CONTACT}"),
    "callcenter": ("interaction_id", f"customer_ref IS NOT NULL OR {CONTACT}"),
    "response_list": ("response_id", "true"),
    "compiled_list": ("record_id", "true"),
}
TS = "TRY_CAST({} AS TIMESTAMPTZ)"


def _run(root: Path, **kw) -> dict:
    return simulate(out=root / "landing", **kw)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def q(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("small")
    _run(root, **SMALL)
    return root


@pytest.fixture(scope="module")
def medium(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("medium")
    return root, _run(root, **MEDIUM)


def _load_csv(con: duckdb.DuckDBPyConnection, feed: str, files: list[str], names: str, types: str) -> None:
    """Strict RFC 4180 parse; rows the parser rejects come back as all-NULL rows with _rejected."""
    con.execute(f"""INSERT INTO {feed} SELECT {names}, parse_filename(filename), false, true
        FROM read_csv({files}, columns={types}, header=true, auto_detect=false, delim=',', quote='"',
            escape='"', strict_mode=true, null_padding=false, store_rejects=true, filename=true,
            rejects_table='rej_{feed}', rejects_scan='scan_{feed}')""")
    nulls = ", ".join("NULL" for _ in names.split(", "))
    con.execute(f"""INSERT INTO {feed} SELECT {nulls}, parse_filename(s.file_path), true, true
        FROM (SELECT DISTINCT scan_id, file_id, line FROM rej_{feed})
        JOIN scan_{feed} s USING (scan_id, file_id)""")


def _load_jsonl(con: duckdb.DuckDBPyConnection, feed: str, files: list[str], cols: tuple[str, ...]) -> None:
    """One JSON object per line; broken lines become '{}' first (JSON functions must not see them)."""
    extract = ", ".join(f"json_extract_string(obj, '$.{c}')" for c in cols)
    con.execute(f"""INSERT INTO {feed}
        SELECT {extract}, parse_filename(filename), NOT ok, list_has_all({list(cols)}, json_keys(obj))
        FROM (SELECT *, CASE WHEN ok THEN line ELSE '{{}}' END AS obj
              FROM (SELECT line, filename, json_valid(line) AS ok FROM read_csv({files},
                    columns={{'line': 'VARCHAR'}}, header=false, auto_detect=false, delim='\\0', quote='',
                    escape='', filename=true)))""")


@pytest.fixture(scope="module")
def db(medium) -> duckdb.DuckDBPyConnection:
    """One table per feed: every row of every original (not re-sent) file as text, with `_file`,
    `_rejected` (the parser refused the line) and `_violations` (contract checks that fail)."""
    root, _ = medium
    con = duckdb.connect()
    for feed, sub in DIRS.items():
        contract = FEEDS[feed]
        cols = contract.column_names
        files = [p for p in sorted((root / "landing" / sub).glob("*")) if "_resent" not in p.name]
        csvs = [str(p) for p in files if p.suffix == ".csv"]
        jsons = [str(p) for p in files if p.suffix != ".csv"]
        for p in csvs:
            assert Path(p).read_text(encoding="utf-8").split("\n", 1)[0] == ",".join(cols), p
        con.execute(
            f"CREATE TABLE {feed} ({', '.join(f'{c} VARCHAR' for c in cols)}, _file VARCHAR, "
            "_rejected BOOLEAN, _keys_ok BOOLEAN)"
        )
        if csvs:
            types = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + "}"
            _load_csv(con, feed, csvs, ", ".join(cols), types)
        if jsons:
            _load_jsonl(con, feed, jsons, cols)
        checks = []
        for c in contract.columns:
            if c.required:
                checks.append(f"({c.name} IS NULL)::INT")
            if c.allowed:
                checks.append(f"coalesce({c.name} NOT IN ({', '.join(map(repr, c.allowed))}), false)::INT")
            if c.type != "VARCHAR":
                checks.append(f"({c.name} IS NOT NULL AND TRY_CAST({c.name} AS {c.type}) IS NULL)::INT")
        con.execute(f"ALTER TABLE {feed} ADD COLUMN _violations INT")
        broken = " + ".join(checks)
        con.execute(f"UPDATE {feed} SET _violations = CASE WHEN _rejected THEN 0 ELSE {broken} END")
    for name in ("records", "persons"):
        path = root / "truth" / f"{name}.csv"
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{path}', all_varchar=true)")
    return con


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


def test_seasonality_weekly_and_december_peak(db):
    ts = TS.format("transaction_at")
    per_day = dict(
        q(
            db,
            f"""SELECT month({ts}),
        count(DISTINCT transaction_id) / count(DISTINCT CAST({ts} AS DATE))
        FROM pos WHERE return_reason IS NULL AND _violations = 0 GROUP BY 1""",
        )
    )
    assert per_day[12] > 1.25 * per_day[11] and per_day[12] > 1.25 * per_day[10]
    by_dow = dict(
        q(
            db,
            f"""SELECT dayofweek({ts}), count(DISTINCT transaction_id) FROM pos
        WHERE channel = 'store' AND return_reason IS NULL GROUP BY 1""",
        )
    )
    assert by_dow[6] > 1.3 * by_dow[2]  # Saturday vs Tuesday


def test_returns_every_reason_and_fulfilment(db):
    reasons = dict(
        q(
            db,
            """SELECT return_reason, count(*) FROM pos WHERE return_reason IS NOT NULL
        AND TRY_CAST(quantity AS INT) < 0 AND TRY_CAST(amount AS DECIMAL(12,2)) < 0
        AND return_of_transaction_id IS NOT NULL GROUP BY 1""",
        )
    )
    assert set(reasons) == {"returns", "recall", "repair", "repackaging", "recycling"}
    assert reasons["returns"] == max(reasons.values())
    assert q(db, "SELECT count(*) FROM pos WHERE damaged = 'true'")[0][0] > 0
    orphan = q(
        db,
        """SELECT count(*) FROM pos r ANTI JOIN (SELECT DISTINCT transaction_id FROM pos) o
        ON r.return_of_transaction_id = o.transaction_id
        WHERE r.return_of_transaction_id IS NOT NULL""",
    )[0][0]
    assert orphan <= 0.05 * sum(reasons.values())
    late, short, doc, n = q(
        db,
        f"""SELECT
        count(*) FILTER ({TS.format("delivered_at")} > {TS.format("promised_at")}),
        count(*) FILTER (quantity_shipped <> quantity_ordered), count(*) FILTER (documentation_ok = 'false'),
        count(*) FROM pos WHERE channel IN ('online', 'phone') AND return_reason IS NULL""",
    )[0]
    assert 0.03 * n < late < 0.4 * n and 0 < short < 0.1 * n and 0 < doc < 0.1 * n
    assert q(db, "SELECT count(*) FROM pos WHERE channel = 'store' AND promised_at IS NOT NULL")[0][0] == 0


def test_churn_loyalty_and_campaign_lift(db):
    after_churn = q(
        db,
        f"""SELECT count(*) FROM pos p
        JOIN records r ON r.source_system = 'pos' AND r.source_record_id = p.transaction_id
        JOIN persons USING (person_id) WHERE p.return_reason IS NULL AND p.channel = 'store'
        AND churned_on IS NOT NULL
        AND CAST({TS.format("p.transaction_at")} AS DATE) > CAST(churned_on AS DATE)""",
    )
    assert after_churn[0][0] == 0
    assert q(db, "SELECT count(*) FROM persons WHERE churned_on IS NOT NULL")[0][0] > 20
    per_person = dict(
        q(
            db,
            """SELECT loyalty_member,
        count(DISTINCT p.transaction_id) / count(DISTINCT person_id)
        FROM records r JOIN persons USING (person_id) JOIN pos p ON r.source_record_id = p.transaction_id
        WHERE r.source_system = 'pos' GROUP BY 1""",
        )
    )
    assert per_person["true"] > per_person["false"]
    cells = dict(q(db, "SELECT cell, count(*) FROM campaign_audience GROUP BY 1"))
    assert 0.06 < cells["control"] / (cells["control"] + cells["treatment"]) < 0.14
    # Lift: the treatment cell answers far more often than the held-out control (campaigns whose
    # response list has arrived).
    rate = dict(
        q(
            db,
            """SELECT a.cell, count(t.response_id) / count(*) FROM campaign_audience a
        JOIN persons p ON p.account_id = a.customer_ref
        LEFT JOIN (SELECT r.person_id, l.campaign_id, l.response_id FROM response_list l
                   JOIN records r ON r.source_system = 'response_list'
                    AND r.source_record_id = l.response_id) t
          ON t.person_id = p.person_id AND t.campaign_id = a.campaign_id
        WHERE a.campaign_id IN (SELECT campaign_id FROM response_list) GROUP BY 1""",
        )
    )
    assert rate["treatment"] > max(0.03, 1.5 * rate["control"])


def test_call_queues_overflow_and_surveys(db):
    queues = {r[0] for r in q(db, "SELECT DISTINCT queue FROM callcenter WHERE _violations = 0")}
    assert queues == {"service", "telesales", "helpdesk", "chat", "complaints"}
    abandoned, surveyed, outbound, repeat = q(
        db,
        """SELECT count(*) FILTER (abandoned = 'true'),
        count(*) FILTER (csat IS NOT NULL), count(*) FILTER (direction = 'outbound'),
        count(*) FILTER (order_ref IS NOT NULL AND queue <> 'telesales') FROM callcenter""",
    )[0]
    assert abandoned > 0 and surveyed > 0 and outbound > 0 and repeat > 0
    answered = q(db, "SELECT count(*) FROM callcenter WHERE abandoned = 'true' AND answered_at IS NOT NULL")
    assert answered[0][0] == 0
    # Overflow: the busiest day's waits are longer than a quiet day's.
    waits = [
        r[0]
        for r in q(
            db,
            f"""SELECT avg(epoch({TS.format("answered_at")} - {TS.format("started_at")}))
        FROM callcenter WHERE channel = 'phone' AND direction = 'inbound' AND queue <> 'telesales'
        GROUP BY CAST({TS.format("started_at")} AS DATE) HAVING count(*) >= 3 ORDER BY count(*)""",
        )
    ]
    assert max(waits[-5:]) > 2 * min(waits[:5])


def test_web_logins_are_stitched_by_anonymous_id(db):
    stitched = q(
        db,
        """SELECT count(DISTINCT l.anonymous_id) FROM web l JOIN web e USING (anonymous_id)
        WHERE l.event_type = 'login' AND e.user_id IS NULL AND e.occurred_at < l.occurred_at""",
    )[0][0]
    assert stitched > 50
    assert q(db, "SELECT count(*) FROM web WHERE utm_campaign LIKE 'CMP-%'")[0][0] > 0
    assert q(db, "SELECT count(*) FROM web WHERE event_type = 'login' AND email IS NOT NULL")[0][0] > 0


def test_contact_dirt_is_present_but_bounded(db):
    formats = dict(
        q(
            db,
            """SELECT CASE WHEN regexp_matches(phone, '^\\+\\d+ ') THEN 'spaced'
            WHEN regexp_matches(phone, '^\\+\\d+$') THEN 'e164' WHEN phone LIKE '00%' THEN '00'
            WHEN phone LIKE '(0%' THEN 'parens' WHEN phone LIKE '0%' THEN 'national' END, count(*)
        FROM (SELECT phone FROM compiled_list UNION ALL SELECT phone FROM callcenter
              UNION ALL SELECT phone FROM pos) WHERE phone IS NOT NULL GROUP BY 1""",
        )
    )
    assert set(formats) == {"spaced", "e164", "00", "parens", "national"}
    n_alias, n_email = q(db, "SELECT count(*) FILTER (email LIKE '%+%@%'), count(email) FROM web")[0]
    assert 0 < n_alias < 0.1 * n_email
    upper, n = q(
        db,
        """SELECT count(*) FILTER (last_name = upper(last_name)), count(last_name)
        FROM compiled_list WHERE record_id LIKE 'V1-%'""",
    )[0]
    assert upper > 0.9 * n
    assert q(db, "SELECT count(*) FROM pos WHERE address_line1 LIKE '%,%'")[0][0] > 0
    shared = q(
        db,
        """SELECT count(*) FROM (SELECT address_line1, postcode FROM persons GROUP BY ALL
        HAVING count(DISTINCT first_name) > 1)""",
    )[0][0]
    assert shared > 50  # households: different people at one address
