"""Splink's prediction on Spark equals DuckDB's: same model, same representatives, same pairs and weights.

Representatives and the model are built on DuckDB (a 400-person fixture); DuckDB scores them in
this process, Spark in a subprocess of its own (pipelines/spark/identity.py: an embedded Derby
metastore admits one JVM per folder) from the same Parquet representatives and model JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import duckdb
import pytest

from pipelines.identity import model as fs
from pipelines.identity import resolve_identities
from pipelines.identity.graph import connected_components, guard_conflicts
from pipelines.identity.representatives import build_representatives
from pipelines.identity.rules import build_rule_edges, create_macros
from pipelines.identity.settings import IdentitySettings
from pipelines.identity.stage import INPUT_TABLE, stage_records
from pipelines.spark.identity_predict import spark_predictor
from pipelines.spark.java_home import java_home
from pipelines.spark.settings import SparkSettings
from tests.identity_fixtures import make_population
from tests.identity_warehouse import write_records

pytestmark = [pytest.mark.spark, pytest.mark.integration, pytest.mark.timeout(1200)]

Pairs = dict[tuple[int, int], tuple[float, float]]


def _pairs(con: duckdb.DuckDBPyConnection, table: str) -> Pairs:
    rows = con.execute(
        f"SELECT unique_id_l::UBIGINT, unique_id_r::UBIGINT, match_weight, match_probability FROM {table}"
    ).fetchall()
    return {(a, b): (w, p) for a, b, w, p in rows}


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("spark_identity")
    db = tmp / "warehouse.duckdb"
    write_records(db, make_population(400, seed=11)[1])
    s = IdentitySettings()
    con = duckdb.connect(str(db))
    stage_records(con, INPUT_TABLE)
    create_macros(con)
    build_rule_edges(con, s)
    connected_components(con, "rule_edges", "det_labels")
    guard_conflicts(con, "rule_edges", "det_labels")
    n_reps = build_representatives(con, "det_labels", s)
    model = fs.train(con, s)

    started = time.perf_counter()
    pred = fs.make_linker(con, model).inference.predict(warning_mode="never")
    duckdb_s = time.perf_counter() - started
    duck = _pairs(con, pred.physical_name)
    match_keys = con.execute(f"SELECT DISTINCT match_key FROM {pred.physical_name}").fetchall()
    con.execute(f"COPY id_reps TO '{tmp / 'reps.parquet'}' (FORMAT parquet)")
    con.close()
    (tmp / "model.json").write_text(json.dumps(model))

    env = {**os.environ, "JAVA_HOME": os.environ.get("JAVA_HOME") or java_home() or ""}
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.spark.identity", "--reps", str(tmp / "reps.parquet"),
         "--model", str(tmp / "model.json"), "--spark-dir", str(tmp / "spark"), "--out", str(tmp / "pairs")],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    timing = json.loads(done.stdout.strip().splitlines()[-1])
    with duckdb.connect() as con:
        spark = _pairs(con, f"read_parquet('{tmp / 'pairs'}/*.parquet')")
    print(f"\nreps {n_reps}, pairs {len(duck)}: DuckDB predict {duckdb_s:.2f} s; Spark {timing}")
    return {"duckdb": duck, "spark": spark, "timing": timing, "match_keys": len(match_keys)}


def test_spark_scores_the_same_pairs_as_duckdb(scored: dict) -> None:
    duck, spark = scored["duckdb"], scored["spark"]
    assert duck, "the fixture must give Splink pairs to score"
    # several blocking rules contribute pairs: a rule Spark left out would lose its pairs
    assert scored["match_keys"] >= 3
    only_duckdb, only_spark = sorted(set(duck) - set(spark)), sorted(set(spark) - set(duck))
    assert not only_duckdb and not only_spark, (
        f"only on DuckDB: {only_duckdb[:5]}; only on Spark: {only_spark[:5]}"
    )
    assert scored["timing"]["pairs"] == len(duck)


def test_spark_match_weights_equal_duckdb(scored: dict) -> None:
    duck, spark = scored["duckdb"], scored["spark"]
    off = {
        pair: (duck[pair], spark[pair])
        for pair in duck
        if pair in spark
        and (abs(duck[pair][0] - spark[pair][0]) > 1e-6 or abs(duck[pair][1] - spark[pair][1]) > 1e-6)
    }
    assert not off, f"{len(off)} pairs differ, e.g. {list(off.items())[:3]}"


def _partition(db) -> set[frozenset]:
    """The records of each customer: the identity map as a partition, whatever the keys are called."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT list(source_system || ':' || source_record_id) FROM core.customer_identity_map "
            "GROUP BY customer_key"
        ).fetchall()
    return {frozenset(records) for (records,) in rows}


def test_a_resolution_scoring_on_spark_partitions_records_as_on_duckdb(tmp_path, monkeypatch) -> None:
    """resolve_identities with the Spark predictor (CRM360_ENGINE=spark) against Splink on DuckDB."""
    monkeypatch.setenv("JAVA_HOME", os.environ.get("JAVA_HOME") or java_home() or "")
    records = make_population(400, seed=11)[1]
    summaries = {}
    for engine in ("duckdb", "spark"):
        write_records(tmp_path / f"{engine}.duckdb", records)
        predictor = spark_predictor(tmp_path / "work", SparkSettings()) if engine == "spark" else None
        with duckdb.connect(str(tmp_path / f"{engine}.duckdb")) as con:
            summaries[engine] = resolve_identities(con, IdentitySettings(), predictor=predictor)
    assert summaries["spark"]["splink_engine"] == "spark" and summaries["duckdb"]["splink_engine"] == "duckdb"
    assert summaries["spark"]["splink_links"] == summaries["duckdb"]["splink_links"] > 0
    duck, spark = _partition(tmp_path / "duckdb.duckdb"), _partition(tmp_path / "spark.duckdb")
    assert len(duck) < len(records) and spark == duck
    # the step's copies of personal data are gone once the pairs are read back
    assert not any((tmp_path / "work").glob("*.parquet")) and not (tmp_path / "work" / "pairs").exists()
