"""The serving copy asset: after everything in core and marts is built and its blocking checks passed,
publish them as `<serving dir>/crm360.duckdb` for analysts and BI tools (pipelines/serving)."""

from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from pipelines.defs.dbt_project import dbt_project
from pipelines.defs.resources import WAREHOUSE_POOL, ServingResource, WarehouseResource
from pipelines.serving.docs import DOCUMENTED_SCHEMAS, load_table_docs
from pipelines.serving.publish import Publication, publish

SERVING_KEY = dg.AssetKey(["serving", "crm360"])


def served_keys(assets: Sequence[dg.AssetsDefinition]) -> list[dg.AssetKey]:
    """Every asset that writes a schema the copy may serve: it waits for all of them."""
    keys = {k for a in assets for k in a.keys if k.path[0] in DOCUMENTED_SCHEMAS}
    return sorted(keys, key=lambda k: k.to_user_string())


def publication_metadata(publication: Publication) -> dict[str, object]:
    return {
        "path": dg.MetadataValue.path(str(publication.path)),
        "tables": len(publication.tables),
        "rows": publication.rows,
        "comments": publication.comments,
        "personal_columns_withheld": publication.withheld,
        "contacts": publication.contacts,
        "size_bytes": publication.size_bytes,
        "publish_seconds": round(publication.seconds, 2),
        **(
            {"parquet": dg.MetadataValue.path(str(publication.parquet_dir))}
            if publication.parquet_dir
            else {}
        ),
    }


def build_serving_asset(upstream: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    """The publish step, downstream of `upstream` (served_keys of the other assets): a failed step or a
    failed blocking check upstream skips it, and the last good copy stays served."""

    @dg.asset(
        key=SERVING_KEY,
        deps=list(upstream),
        group_name="serving",
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
        description=(
            "Read-only copy of the documented core and marts tables, with dbt's descriptions as DuckDB "
            "comments and without the columns dbt tags personal (the `restricted` contact tables only "
            "with CRM360_SERVING_CONTACTS): built as a new file and renamed over "
            "`<serving dir>/crm360.duckdb`, so readers see the last good run's state or the new one, never "
            "a mix (docs/querying.md)."
        ),
    )
    def serving_copy(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, serving: ServingResource
    ) -> dg.MaterializeResult:
        docs = load_table_docs(Path(dbt_project().manifest_path))
        with warehouse.connect() as con:
            publication = publish(
                con,
                Path(serving.dir),
                docs,
                run_id=context.run.run_id,
                parquet=serving.parquet,
                contacts=serving.contacts,
            )
        context.log.info(
            f"published {len(publication.tables)} tables ({publication.rows:,} rows) to {publication.path} "
            f"in {publication.seconds:.1f} s"
        )
        return dg.MaterializeResult(metadata=publication_metadata(publication))

    return serving_copy
