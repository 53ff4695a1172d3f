"""Blocking dbt source freshness on the operational raw feeds, one `dbt source freshness` per run."""

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.assets.dbt import MANIFEST, dbt_environ, keep_parse_state, vars_args
from pipelines.kpi.resource import KpiResource
from pipelines.resources import WAREHOUSE_POOL, WarehouseResource
from quality.freshness import CHECK_PREFIX, freshness_results, freshness_sources
from quality.results import ERROR, record_results

CHECK_NAME = "dbt_source_freshness"


def build_freshness_check(manifest_path: Path = MANIFEST) -> dg.AssetChecksDefinition:
    feeds = freshness_sources(json.loads(manifest_path.read_text()))
    specs = [
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=dg.AssetKey(["raw", feed]),
            blocking=True,
            description=(
                f"dbt source freshness of raw.{feed} on _loaded_at (models/staging/_sources.yml): "
                "warn after 2 days without a load, error (blocks staging) after 7."
            ),
        )
        for feed in feeds
    ]

    @dg.multi_asset_check(specs=specs, name="raw_source_freshness", pool=WAREHOUSE_POOL)
    def _freshness(
        context: dg.AssetCheckExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        kpi: KpiResource,
    ) -> Iterator[dg.AssetCheckResult]:
        selected = [f"source:raw.{feed}" for feed in feeds]
        with tempfile.TemporaryDirectory(prefix="crm360-freshness-") as target, dbt_environ(warehouse):
            invocation = dbt.cli(
                ["source", "freshness", "--select", " ".join(selected), *vars_args(kpi, dbt)],
                manifest=MANIFEST,
                raise_on_error=False,
                target_path=Path(target),
            ).wait()
            sources = (
                invocation.get_artifact("sources.json") if (Path(target) / "sources.json").exists() else {}
            )
            keep_parse_state(Path(target))
        results = {r.asset: r for r in freshness_results(sources)}
        with warehouse.connect() as con:
            record_results(con, list(results.values()), context.run.run_id)
        for feed in feeds:
            result = results.get(f"raw.{feed}")
            if result is None:
                yield dg.AssetCheckResult(
                    asset_key=dg.AssetKey(["raw", feed]),
                    check_name=CHECK_NAME,
                    passed=False,
                    severity=dg.AssetCheckSeverity.ERROR,
                    description=f"{CHECK_PREFIX}:raw.{feed}: dbt gave no verdict (see the dbt log)",
                )
                continue
            yield dg.AssetCheckResult(
                asset_key=dg.AssetKey(["raw", feed]),
                check_name=CHECK_NAME,
                passed=result.passed,
                severity=dg.AssetCheckSeverity.ERROR
                if result.severity == ERROR
                else dg.AssetCheckSeverity.WARN,
                description=f"{result.check_name}: {result.sample['status']}, last load "
                f"{result.sample['age_hours']} h ago",
                metadata={"freshness": dg.MetadataValue.json(result.sample)},
            )

    return _freshness


freshness_check = build_freshness_check()
