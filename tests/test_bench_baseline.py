"""The Splink baseline trains on a sample when its EM rules would score too many pairs."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from pipelines.bench import baseline

FIRST = ["anna", "ben", "carla", "dan", "eva", "finn", "greta", "hugo", "ida", "jon"]
LAST = ["meyer", "novak", "olsen", "petit", "quinn", "rossi", "silva", "tanaka", "ulm", "vogel"]


def _warehouse(tmp_path: Path, persons: int = 300) -> tuple[Path, Path]:
    """intermediate.int_contact_records of `persons` people, three records each, and the truth."""
    rng = random.Random(7)
    rows, truth = [], ["source_system,source_record_id,person_id"]
    for p in range(persons):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        dob = f"19{rng.randint(40, 99)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"
        email, phone = f"{first}.{last}.{p}@mail.test", f"+4930{p:07}"
        postcode, city = f"{10000 + p % 50}", ["berlin", "hamburg", "köln"][p % 3]
        for k, system in enumerate(["pos", "callcenter", "response_list"]):
            rid = f"{system[:2]}-{p}-{k}"
            rows.append(
                (system, rid, first, last, dob if k != 1 else None, email if k != 0 else None,
                 phone if k != 2 else None, f"{p % 40} main street", postcode, city,
                 f"ACC-{p}" if k == 0 else None, None)
            )  # fmt: skip
            truth.append(f"{system},{rid},P-{p}")
    db = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA intermediate")
    con.execute(
        "CREATE TABLE intermediate.int_contact_records (source_system VARCHAR, source_record_id VARCHAR, "
        "first_name VARCHAR, last_name VARCHAR, date_of_birth DATE, email_canonical VARCHAR, phone VARCHAR, "
        "address_line1 VARCHAR, postcode VARCHAR, city VARCHAR, account_id VARCHAR, loyalty_card VARCHAR)"
    )
    con.executemany("INSERT INTO intermediate.int_contact_records VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.close()
    (tmp_path / "truth.csv").write_text("\n".join(truth) + "\n")
    return db, tmp_path / "truth.csv"


def test_training_share_keeps_the_largest_rule_near_the_limit() -> None:
    assert baseline.training_share(10, limit=100) == 1.0
    assert baseline.training_share(10_000, limit=100) == pytest.approx(0.1)  # pairs shrink with share²


@pytest.mark.integration
def test_baseline_trains_on_a_sample_above_the_pair_limit(tmp_path: Path, monkeypatch) -> None:
    db, truth = _warehouse(tmp_path)
    full = baseline.run_baseline(db, truth, tmp_path / "spill_a", memory_limit="1GB")
    assert full["trained_on_records"] == full["records"] == 900
    # 900 records over 100 name pairs: about 4,000 pairs for first + last name
    assert full["largest_em_rule_pairs"] > 1_000
    monkeypatch.setattr(baseline, "MAX_TRAINING_PAIRS", full["largest_em_rule_pairs"] // 4)
    sampled = baseline.run_baseline(db, truth, tmp_path / "spill_b", memory_limit="1GB")
    # a quarter of the pairs: about half of the records train the model, all of them are linked
    assert 300 < sampled["trained_on_records"] < 600
    assert sampled["records_evaluated"] == full["records_evaluated"] == 900
    for run in (full, sampled):
        assert run["precision"] > 0.9 and run["recall"] > 0.5, run
