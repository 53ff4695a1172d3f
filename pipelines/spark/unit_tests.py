"""dbt's unit tests on the Spark target: the models' logic checked on Spark's SQL, not only DuckDB's.

dbt reads the column types of each tested model's inputs from the warehouse, so this runs on a Spark
folder a build has filled (`python -m pipelines.spark.unit_tests --project-dir dbt_project
--data-dir DIR`). The tests of the incremental branch (tag incremental_branch) are left out: on
Spark those models are rebuilt whole (macros/portable/incremental_materialization.sql), so that
branch never runs there.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines.spark.dbt import SparkDbt
from pipelines.spark.session import add_session_options, local_session, settings_of, spark_dir

INCREMENTAL_TAG = "incremental_branch"
# Fixture rows are unions of one-row selects, on which two Spark 4 optimisations fail: the
# PushProjectionThroughUnion rule ("key not found") and adaptive execution's broadcast of such a
# union (a ClassCastException). Only this session sets them; builds keep Spark's defaults.
FIXTURE_CONF = {
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.optimizer.excludedRules": "org.apache.spark.sql.catalyst.optimizer.PushProjectionThroughUnion",
}


def unit_test_args(dbt: SparkDbt, target_path: Path) -> list[str]:
    """dbt's arguments: every unit test but the incremental branch's, on the `spark` target."""
    command = dbt.command("test", target_path, ["test_type:unit"])
    return [*command[1:], "--exclude", f"tag:{INCREMENTAL_TAG}"]


def run_unit_tests(dbt: SparkDbt, target_path: Path) -> bool:
    """Run them in this process, on a session opened first with FIXTURE_CONF: dbt-spark's `session`
    method then gets that session (getOrCreate) and adds the profile's settings to it."""
    spark = local_session(spark_dir(dbt.data_dir), dbt.spark, FIXTURE_CONF)
    try:
        return dbt.invoke(unit_test_args(dbt, target_path))
    finally:
        spark.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", type=Path, required=True, help="the dbt project")
    parser.add_argument("--data-dir", type=Path, required=True, help="data directory a Spark build filled")
    parser.add_argument("--target-path", type=Path, default=None, help="dbt's target folder")
    add_session_options(parser)
    args = parser.parse_args(argv)
    dbt = SparkDbt(args.project_dir, args.data_dir, settings_of(args), {})
    target = args.target_path or spark_dir(args.data_dir) / "dbt-target-unit"
    return 0 if run_unit_tests(dbt, target) else 1


if __name__ == "__main__":
    raise SystemExit(main())
