"""Identity resolution's Splink prediction on Spark: a trained model scores representatives there."""

from __future__ import annotations

import argparse
import json
import time
from copy import deepcopy
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.identity.comparisons import settings_creator
from pipelines.identity.model import prediction_settings
from pipelines.identity.profile import PROFILE_KEY
from pipelines.spark.session import add_session_options, local_session, settings_of

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

PAIR_COLUMNS = ("unique_id_l", "unique_id_r", "match_weight", "match_probability")


def _spark_sql(sql: str) -> str:
    """Splink's SQL for Spark, as SparkAPI writes it, without its `customspark` sqlglot dialect.

    That dialect subclasses sqlglot's Spark generator, and with sqlglot's compiled build
    (sqlglotc, installed in this project's environment) instantiating it fails: "interpreted
    classes cannot inherit from compiled" (tobymao/sqlglot#7923, won't fix). Its one change is kept
    here: a number cast to DOUBLE becomes a double literal (1.5D), not a decimal that Spark caps
    at 38 digits.
    """
    import sqlglot
    from sqlglot import exp

    def double_literal(node: exp.Expression) -> exp.Expression:
        literal = isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_number
        if literal and node.to.is_type("double") and node.this.name != "Infinity":
            return exp.var(f"{node.this.name}D")
        return node

    return sqlglot.parse_one(sql, read="spark").transform(double_literal).sql(dialect="spark", pretty=True)


def _spark_api(spark: SparkSession) -> Any:
    """Splink's SparkAPI with _spark_sql as its SQL rewrite (the one private hook it offers)."""
    from splink import SparkAPI

    class PortableSparkAPI(SparkAPI):
        def _setup_for_execute_sql(self, sql: str, physical_name: str) -> str:
            return _spark_sql(sql)

    return PortableSparkAPI(spark_session=spark)


def splink_conf() -> dict[str, str]:
    """Session settings Splink's Spark backend needs: the jar of its similarity UDFs.

    SparkAPI registers jaro_winkler, damerau_levenshtein, ... from classes it expects on the
    classpath; without the jar it only logs a warning and the first comparison fails.
    """
    from splink.backends.spark import similarity_jar_location

    return {"spark.jars": similarity_jar_location()}


def _label(level: dict[str, Any]) -> tuple[Any, ...]:
    return level.get("label_for_charts"), bool(level.get("is_null_level"))


def spark_model(model: dict[str, Any]) -> dict[str, Any]:
    """The trained model with each level's SQL in Spark's dialect, its parameters unchanged.

    A stored model holds DuckDB's SQL ("col" quoting, jaro_winkler_similarity, EPOCH), and Splink
    runs a settings dict's SQL as written. So each level's sql_condition comes from comparisons.py
    built for Spark (Splink's own levels, and PortableLevel's transpiled ones), matched by
    comparison and position; the labels must agree, so a model of another layout is refused
    instead of being scored with the wrong m and u.
    """
    out = deepcopy({k: v for k, v in model.items() if k != PROFILE_KEY})
    fresh = {
        c["output_column_name"]: c for c in settings_creator().create_settings_dict("spark")["comparisons"]
    }
    for comp in out["comparisons"]:
        name = comp["output_column_name"]
        levels = fresh.get(name, {}).get("comparison_levels", [])
        if [_label(lv) for lv in levels] != [_label(lv) for lv in comp["comparison_levels"]]:
            raise ValueError(f"comparison {name!r}: the model's levels differ from comparisons.py; retrain")
        for level, spark_level in zip(comp["comparison_levels"], levels, strict=True):
            level["sql_condition"] = spark_level["sql_condition"]
    out["sql_dialect"] = "spark"
    return out


def predict_pairs(
    spark: SparkSession,
    reps: DataFrame | str,
    model: dict[str, Any],
    out: str,
    threshold: float | None = None,
    only: str | None = None,
    columns: tuple[str, ...] | None = PAIR_COLUMNS,
) -> DataFrame:
    """Score the representatives `reps` (id_reps' columns; a DataFrame or a table name) on Spark.

    Same blocking rules and settings as model.make_linker (model.prediction_settings; `only` as
    there). The pairs (PAIR_COLUMNS) are written as Parquet to `out` (a path or URI, replaced) and
    returned as a DataFrame over those files: nothing is collected to the driver. columns=None
    writes every column Splink predicts (gamma_*, mw_*: what score_edges' details read). Splink's
    intermediate tables go to the session's checkpoint directory as Parquet (SparkAPI's default on
    a cluster too), so one must be set (spark.sparkContext.setCheckpointDir).
    """
    from splink import Linker

    frame = spark.table(reps) if isinstance(reps, str) else reps
    linker = Linker(
        _spark_api(spark).register(frame), prediction_settings(spark_model(model), only), log_level=None
    )
    pred = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    frame = pred.as_spark_dataframe()
    (frame.select(*columns) if columns else frame).write.mode("overwrite").parquet(out)
    pred.drop_table_from_database_and_remove_from_cache()
    return spark.read.parquet(out)


def main(argv: list[str] | None = None) -> None:
    """Predict from Parquet representatives and a model JSON in a local session; print counts and times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", required=True, help="representatives as Parquet (DuckDB's id_reps)")
    parser.add_argument("--model", type=Path, required=True, help="the model JSON (core.identity_model's)")
    parser.add_argument("--spark-dir", type=Path, required=True, help="metastore, warehouse, checkpoints")
    parser.add_argument("--out", required=True, help="where the pairs' Parquet files go")
    parser.add_argument("--threshold", type=float, default=None, help="keep pairs from this probability")
    parser.add_argument("--all-columns", action="store_true", help="every prediction column, not the pair's")
    add_session_options(parser)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    spark = local_session(args.spark_dir, settings_of(args), extra_conf=splink_conf())
    spark.sparkContext.setCheckpointDir(str(args.spark_dir / "checkpoints"))
    session_s = time.perf_counter() - started
    try:
        started = time.perf_counter()
        model, columns = json.loads(args.model.read_text()), None if args.all_columns else PAIR_COLUMNS
        reps = spark.read.parquet(args.reps)
        pairs = predict_pairs(spark, reps, model, args.out, args.threshold, columns=columns)
        predict_s = time.perf_counter() - started
        print(json.dumps({"pairs": pairs.count(), "session_s": session_s, "predict_s": predict_s}))
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
