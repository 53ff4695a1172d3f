"""Identity's Splink prediction on Spark from inside a DuckDB resolution (model.Predictor)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb

from pipelines.identity.model import REPS, Predictor
from pipelines.spark.session import session_args
from pipelines.spark.settings import SparkSettings

PREDICTIONS = "spark_predictions"


def predict_command(work: Path, spark: SparkSettings, threshold: float) -> list[str]:
    """The Spark step that scores work/reps.parquet with work/model.json into work/pairs."""
    return [
        sys.executable, "-m", "pipelines.spark.identity", "--reps", str(work / "reps.parquet"),
        "--model", str(work / "model.json"), "--spark-dir", str(work / "session"),
        "--out", str(work / "pairs"), "--threshold", repr(threshold), "--all-columns", *session_args(spark),
    ]  # fmt: skip


def clear_work(work: Path) -> None:
    """Remove the step's files: representatives and pairs hold names, dates of birth and addresses,
    which must not outlive the resolution (an erasure would not find them here)."""
    for name in ("reps.parquet", "model.json"):
        (work / name).unlink(missing_ok=True)
    for name in ("pairs", "session/checkpoints", "session/warehouse"):
        shutil.rmtree(work / name, ignore_errors=True)


def spark_predictor(work: Path, spark: SparkSettings) -> Predictor:
    """A Predictor that runs Splink on Spark in a process of its own (its own Derby metastore under
    `work`) and reads the pairs back into the resolution's DuckDB catalog."""

    def predict(con: duckdb.DuckDBPyConnection, model: dict[str, Any], threshold: float) -> str:
        clear_work(work)
        work.mkdir(parents=True, exist_ok=True)
        try:
            con.execute(f"COPY {REPS} TO '{work / 'reps.parquet'}' (FORMAT parquet)")
            (work / "model.json").write_text(json.dumps(model))
            done = subprocess.run(predict_command(work, spark, threshold), capture_output=True, text=True)
            if done.returncode != 0:
                failed = f"Splink prediction on Spark failed ({done.returncode})"
                raise RuntimeError(f"{failed}:\n{done.stderr[-4000:]}")
            # Parquet carries DuckDB's unsigned ids through Spark as DECIMAL(20,0): back to REPS' type.
            (id_type,) = con.execute(f"SELECT any_value(typeof(unique_id)) FROM {REPS}").fetchone()
            con.execute(f"""
                CREATE OR REPLACE TABLE {PREDICTIONS} AS
                SELECT * REPLACE (
                    unique_id_l::{id_type} AS unique_id_l, unique_id_r::{id_type} AS unique_id_r
                ) FROM read_parquet('{work / "pairs"}/*.parquet')
            """)
        finally:
            clear_work(work)
        return PREDICTIONS

    return predict
