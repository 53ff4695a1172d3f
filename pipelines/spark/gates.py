"""The pandera rules on Spark: quality/pandera_schemas.py's ibis rules counted by Spark on its own tables.

The rules are ibis expressions, so the DuckDB checks' definitions run unchanged on ibis's pyspark
backend; only the failing counts and a few sample rows reach Python. One JSON line per rule. With
--run-id the results, and the dbt tests of the phase just built (--dbt-target), are recorded in
Spark's audit.check_results (pipelines/spark/audit.py), before the gate decides anything.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pipelines.spark.audit import dbt_checks, record_checks
from pipelines.spark.session import add_session_options, local_session, settings_of
from quality.calibration import DistributionSettings
from quality.pandera_gate import validate_in
from quality.pandera_rules import TableSpec
from quality.pandera_schemas import specs
from quality.results import CheckResult, sample_json

# core: before any mart is built (the quality gate); marts: once they are (marts.customer_360)
STAGES = ("core", "marts")


def stage_specs(distribution: DistributionSettings, stage: str) -> list[TableSpec]:
    """The table specs of one stage's schema, calibrated as the DuckDB checks are."""
    return [spec for spec in specs(distribution).values() if spec.schema == stage]


def result_json(result: CheckResult) -> dict[str, Any]:
    """A result as the JSON line the Spark build reads back (quality.results.CheckResult's fields)."""
    return {**asdict(result), "sample": sample_json(result.sample)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spark-dir", type=Path, required=True, help="metastore and warehouse folder")
    parser.add_argument("--stage", choices=STAGES, required=True)
    parser.add_argument("--distribution", default="{}", help="DistributionSettings fields as JSON")
    parser.add_argument("--run-id", help="record the results in Spark's audit.check_results as this run's")
    parser.add_argument(
        "--dbt-target", type=Path, help="the phase's dbt artifacts: its tests are recorded too"
    )
    add_session_options(parser)
    args = parser.parse_args(argv)
    distribution = DistributionSettings(**json.loads(args.distribution))
    import ibis

    spark = local_session(args.spark_dir, settings_of(args))
    try:
        backend = ibis.pyspark.connect(spark)
        results = [r for spec in stage_specs(distribution, args.stage) for r in validate_in(backend, spec)]
        if args.run_id:
            tests = dbt_checks(args.dbt_target, args.run_id) if args.dbt_target else []
            record_checks(spark, [*results, *tests], args.run_id, args.stage)
        for result in results:
            print(json.dumps(result_json(result), default=str), flush=True)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
