"""Identity rules that must hold on real data: the household gate, name classes in the guard, the FEBRL
adapter, and retraining when the population changes."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.identity.graph import greedy_split
from pipelines.identity.profile import population_profile, retrain_reason, split_model
from pipelines.identity.resolve import resolve_identities
from pipelines.identity.rules import create_macros
from pipelines.identity.settings import IdentitySettings
from sources.dev.benchmarks import febrl
from tests.identity_fixtures import make_population
from tests.identity_warehouse import write_records


@pytest.fixture(scope="module")
def macros() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    create_macros(con)
    return con


def household_safe(con: duckdb.DuckDBPyConnection, a: tuple, b: tuple) -> bool:
    """a, b: (first name, formal first name, last name, dob[, postcode, street line])."""
    a, b = (*a, "AB1", "1 high st")[:6], (*b, "AB1", "1 high st")[:6]
    return con.execute(
        "SELECT id_household_safe(?, ?, ?, ?, ?, ?, ?::DATE, ?::DATE, ?, ?, ?, ?)",
        [a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5]],
    ).fetchone()[0]


D1, D2 = "1980-05-17", "2011-09-02"


@pytest.mark.parametrize(
    ("a", "b", "safe"),
    [
        # a parent and a child at one address: other first name, distant dob
        (("anna", "anna", "smith", D1), ("tom", "thomas", "smith", D2), False),
        # Sr/Jr-like pair with first names that differ: refused
        (("john", "john", "smith", D1), ("jane", "jane", "smith", D2), False),
        # one person, whole dob replaced (FEBRL): the names agree, the model weighs the dob
        (("ruby", "ruby", "riding", D1), ("ruby", "ruby", "riding", D2), True),
        # ... but a namesake with another dob elsewhere is another person
        (("holly", "holly", "white", D1), ("holly", "holly", "white", D2, "ZZ9", "8 london circuit"), False),
        # first and last name swapped, with a typo, same dob
        (("marianne", "marianne", "rees", D1), ("rees", "rees", "maribanne", D1), True),
        # nickname, same dob
        (("bob", "robert", "smith", D1), ("robert", "robert", "smith", D1), True),
        # a nameless record: only with two agreeing dobs
        ((None, None, "smith", D1), ("anna", "anna", "smith", D1), True),
        ((None, None, "smith", None), ("anna", "anna", "smith", D1), False),
        # first names that differ beyond a typo: only when the dobs are equal
        (("lachlan", "lachlan", "berry", D1), ("jordan", "jordan", "berry", D1), True),
        (("lachlan", "lachlan", "berry", None), ("jordan", "jordan", "berry", D1), False),
        # a dob keying error (one digit) with the same first name
        (("anna", "anna", "smith", "1980-05-17"), ("anna", "anna", "smith", "1980-05-18"), True),
    ],
)
def test_household_gate_refuses_only_what_tells_two_people_apart(
    macros: duckdb.DuckDBPyConnection, a: tuple, b: tuple, safe: bool
) -> None:
    assert household_safe(macros, a, b) is safe


def test_guard_cuts_distant_dobs_only_across_name_classes() -> None:
    d1, d2 = date(1907, 11, 20), date(1965, 6, 15)
    # one name class (same person, dob typed wrong): nothing is cut
    same = [(1, None, d1, 1), (2, None, d2, 1)]
    assert greedy_split(same, [(1, 2)])[1] == []
    # two name classes with distant dobs: two people, the edge is cut
    two = [(1, None, d1, 1), (2, None, d2, 2)]
    assert greedy_split(two, [(1, 2)])[1] == [(1, 2)]
    # without classes each node is its own class: the old rule (distant dobs are two people)
    assert greedy_split([(1, None, d1), (2, None, d2)], [(1, 2)])[1] == [(1, 2)]


def test_retrain_when_the_population_moves() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE rec AS SELECT 'ann' fn, 'lee' ln, DATE '1980-01-01' dob, 'AB1' postcode, "
        "'1 high st' address_line1, NULL::VARCHAR email_canonical, '+441' phone FROM range(100)"
    )
    profile = population_profile(con)
    assert profile["records"] == 100 and profile["completeness"]["email_canonical"] == 0.0
    assert retrain_reason(profile, profile, 2.0, 0.15) is None
    assert "no profile" in retrain_reason(None, profile, 2.0, 0.15)
    grown = {**profile, "records": 201}
    assert "records" in retrain_reason(profile, grown, 2.0, 0.15)
    with_email = {**profile, "completeness": {**profile["completeness"], "email_canonical": 0.5}}
    assert "email_canonical" in retrain_reason(profile, with_email, 2.0, 0.15)
    settings, stored = split_model({"comparisons": [], "crm360_profile": profile})
    assert settings == {"comparisons": []} and stored == profile


def test_febrl_adapter_reads_the_wheel_and_writes_the_list_feed(tmp_path: Path) -> None:
    assert febrl.person_of("rec-12-dup-3") == febrl.person_of("rec-12-org") == "12"
    assert febrl.iso_date("19560409") == "1956-04-09"
    assert febrl.iso_date("19560231") is None and febrl.iso_date("") is None
    with pytest.raises(ValueError):
        febrl.dataset_path("febrl4a")  # held out
    written = febrl.write_feed("febrl1", tmp_path / "landing", tmp_path / "truth", limit=20)
    assert written.persons == 20 and written.records > 20
    with written.feed_file.open() as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == febrl.FEED_COLUMNS and len(rows) == written.records
    assert all(r["country"] == "AU" and r["vendor"] == "febrl" for r in rows)
    with written.truth_file.open() as f:
        truth = list(csv.DictReader(f))
    assert {t["source_record_id"] for t in truth} == {r["record_id"] for r in rows}
    assert {t["source_system"] for t in truth} == {"compiled_list"}
    full = febrl.write_feed("febrl1", tmp_path / "all", tmp_path / "t2")
    assert (full.records, full.persons, full.invalid_dob_blanked) == (1000, 500, 3)


def test_the_stored_model_is_retrained_when_the_population_moves(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"

    def resolve() -> str:
        con = duckdb.connect(str(db))
        try:
            return resolve_identities(con, IdentitySettings())["splink"]
        finally:
            con.close()

    write_records(db, make_population(300, seed=3)[1])
    assert resolve() == "trained (no stored model)"
    assert resolve() == "stored model"  # same population: yesterday's parameters, stable links
    write_records(db, make_population(900, seed=4)[1])
    assert resolve().startswith("trained (records ")
    assert resolve() == "stored model"
