"""Identity resolution asset: contact records of every feed -> one stable customer key per person."""

import logging
from dataclasses import replace

import dagster as dg

from pipelines.defs.resources import WAREHOUSE_POOL, IdentityResource, WarehouseResource
from pipelines.identity import IdentitySettings, resolve_identities


class IdentityConfig(dg.Config):
    """Run-time knobs of one run (launchpad); unset, the `identity` resource's settings hold."""

    match_threshold: float | None = None
    retrain_model: bool = False
    # resolve every record, not only what new and changed records reach (pipelines/identity/incremental.py)
    full_resolution: bool = False


def run_settings(base: IdentitySettings, config: IdentityConfig) -> IdentitySettings:
    """The resource's settings with this run's config applied (a threshold given, retraining or a
    full resolution asked)."""
    threshold = config.match_threshold if config.match_threshold is not None else base.match_threshold
    return replace(
        base,
        match_threshold=threshold,
        retrain_model=config.retrain_model or base.retrain_model,
        incremental=base.incremental and not config.full_resolution,
    )


@dg.asset(
    key=dg.AssetKey(["core", "customer_identity_map"]),
    deps=[dg.AssetKey(["intermediate", "int_contact_records"])],
    group_name="core",
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "splink"},
    description=(
        "One row per contact-bearing source record with its stable customer_key: deterministic "
        "rules, then a Splink Fellegi-Sunter model, then clustering with an over-merge guard. "
        "Merges and splits go to audit.identity_changes; core.identity_edges explains every link."
    ),
)
def customer_identity_map(
    context: dg.AssetExecutionContext,
    config: IdentityConfig,
    warehouse: WarehouseResource,
    identity: IdentityResource,
) -> dg.MaterializeResult:
    settings = run_settings(identity.settings(), config)
    # Splink logs every untrained comparison level as a warning; the summary says what matters.
    logging.getLogger("splink").setLevel(logging.ERROR)
    with warehouse.connect(memory_limit=settings.duckdb_memory_limit) as con:
        summary = resolve_identities(con, settings, run_id=context.run.run_id, predictor=identity.predictor())
    context.log.info(f"identity resolution: {summary}")
    metadata = {
        k: v for k, v in summary.items() if isinstance(v, int | float | str) and not isinstance(v, bool)
    }
    metadata["summary"] = dg.MetadataValue.json(summary)
    return dg.MaterializeResult(metadata=metadata)
