"""Identity resolution's parts on their own: the pair scorer, the over-merge guard, connected
components, tiny inputs and the identity connection's memory limit."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.config import load_settings
from pipelines.defs.resources import WarehouseResource
from pipelines.identity import evaluate
from pipelines.identity.graph import connected_components, dob_near, greedy_split
from tests.identity_fixtures import make_population
from tests.identity_warehouse import resolve_file, write_records


def test_evaluate_counts_pairs_exactly(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core")
    con.execute(
        "CREATE TABLE core.customer_identity_map AS SELECT * FROM (VALUES "
        "('web', '1', 'C1'), ('web', '2', 'C1'), ('pos', '3', 'C1'), ('pos', '4', 'C2')) "
        "t(source_system, source_record_id, customer_key)"
    )
    truth = tmp_path / "records.csv"
    truth.write_text("source_system,source_record_id,person_id\nweb,1,P1\nweb,2,P1\npos,3,P2\npos,4,P2\n")
    report = evaluate(con, truth)
    assert (report["predicted_pairs"], report["true_pairs"], report["true_positive_pairs"]) == (3, 2, 1)
    assert report["precision"] == pytest.approx(1 / 3) and report["recall"] == pytest.approx(1 / 2)
    by_pair = {(p["feed_a"], p["feed_b"]): p for p in report["by_feed_pair"]}
    assert by_pair[("pos", "web")]["false_merges"] == 2 and by_pair[("pos", "pos")]["missed_links"] == 1


def test_guard_keeps_strong_edges_and_cuts_the_bridge() -> None:
    nodes = [(1, "ACC-1", None), (2, None, None), (3, "ACC-2", date(1980, 1, 2)), (4, None, date(1980, 1, 2))]
    labels, cut = greedy_split(nodes, [(1, 2), (3, 4), (2, 3)])
    assert cut == [(2, 3)] and labels == {1: 1, 2: 1, 3: 3, 4: 3}
    assert dob_near(date(1980, 1, 9), date(1980, 1, 10)) and dob_near(date(1980, 3, 4), date(1980, 4, 3))
    assert not dob_near(date(1980, 1, 2), date(1975, 6, 20))
    # two typos of one dob are not near each other, but the true dob explains both: no cut
    typos = [(1, None, date(1960, 1, 10)), (2, None, date(1960, 1, 11)), (3, None, date(1960, 10, 1))]
    assert greedy_split(typos, [(1, 2), (2, 3)])[1] == []


def test_tiny_input_runs_rules_only(tmp_path: Path) -> None:
    persons, records = make_population(5, seed=1)
    db = tmp_path / "tiny.duckdb"
    write_records(db, records)
    summary = resolve_file(db, "tiny")
    assert summary["records"] == len(records) and summary["splink_links"] == 0


def test_connected_components_label_each_node_with_its_smallest_id() -> None:
    con = duckdb.connect()
    big = 2**63 + 5  # ids are 64-bit hashes: the top bit must survive the int32 renumbering
    con.execute("CREATE TABLE e (a UBIGINT, b UBIGINT)")
    con.execute("INSERT INTO e VALUES (9, 4), (4, 7), (7, 9), (?, 3), (3, 3), (20, 21)", [big])
    assert connected_components(con, "e", "out") == 3
    labels = dict(con.execute("SELECT node, lbl FROM out").fetchall())
    assert labels == {9: 4, 4: 4, 7: 4, big: 3, 3: 3, 20: 20, 21: 20}
    assert connected_components(con, "(SELECT * FROM e WHERE false)", "none") == 0
    assert con.execute("SELECT count(*) FROM none").fetchone() == (0,)
    # its working tables are gone: a second call in the same session starts clean
    leftovers = "SELECT * FROM duckdb_tables() WHERE table_name LIKE 'cc\\_%' ESCAPE '\\'"
    assert not con.execute(leftovers).fetchall()


def test_identity_connection_gets_its_own_memory_limit(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, env={"CRM360_IDENTITY_MEMORY_LIMIT": "1GB"})
    assert settings.identity.duckdb_memory_limit == "1GB"
    assert load_settings(data_dir=tmp_path, env={}).identity.duckdb_memory_limit == "3GB"
    # a pipeline limit below identity's default caps it; an explicit identity limit still wins
    low = {"CRM360_DUCKDB_MEMORY_LIMIT": "2GiB"}
    assert load_settings(data_dir=tmp_path, env=low).identity.duckdb_memory_limit == "2GiB"
    high = {"CRM360_DUCKDB_MEMORY_LIMIT": "8GB"}
    assert load_settings(data_dir=tmp_path, env=high).identity.duckdb_memory_limit == "3GB"
    both = {**low, "CRM360_IDENTITY_MEMORY_LIMIT": "2.5GB"}
    assert load_settings(data_dir=tmp_path, env=both).identity.duckdb_memory_limit == "2.5GB"
    warehouse = WarehouseResource(path=str(tmp_path / "w.duckdb"), memory_limit="2GB")

    def limit(con: duckdb.DuckDBPyConnection) -> str:
        return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]

    with warehouse.connect() as con:
        assert limit(con) == "1.8 GiB"  # 2 GB
    with warehouse.connect(memory_limit=settings.identity.duckdb_memory_limit) as con:
        assert limit(con) == "953.6 MiB"  # 1 GB
