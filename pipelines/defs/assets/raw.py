"""Raw layer: one asset per feed, loading its landing files into raw.<feed> exactly once."""

from pathlib import Path

import dagster as dg

from pipelines.defs.resources import WAREHOUSE_POOL, LandingResource, WarehouseResource
from sources.contracts import FeedContract
from sources.feeds import FEEDS
from sources.ingest.loader import load_feed
from sources.ingest.results import FeedLoad, FileLoad

MAX_LOGGED_SAMPLES = 5


def _pull_web_api(context: dg.AssetExecutionContext, landing: LandingResource) -> None:
    from sources.connectors.web_api import pull_web_events

    result = pull_web_events(
        landing.web_api_url or "",
        Path(landing.landing_dir),
        Path(landing.state_dir) / "web_api_cursor.json",
        page_size=landing.web_api_page_size,
    )
    context.log.info(f"web API: {result}")


def _metadata(result: FeedLoad) -> dict[str, dg.MetadataValue]:
    loaded = [f for f in result.files if f.outcome == "loaded"]
    return {
        "files_loaded": dg.MetadataValue.int(len(loaded)),
        "files_unchanged": dg.MetadataValue.int(result.unchanged),
        "files_skipped_duplicate": dg.MetadataValue.int(
            sum(f.outcome == "skipped_duplicate" for f in result.files)
        ),
        "files_failed": dg.MetadataValue.int(len(result.failed)),
        "files_rejected": dg.MetadataValue.int(len(result.rejected)),
        "rejected_files": dg.MetadataValue.text(
            "\n".join(m for f in result.rejected for m in f.messages) or "-"
        ),
        "rows_read": dg.MetadataValue.int(result.total("rows_read")),
        "rows_loaded": dg.MetadataValue.int(result.total("rows_loaded")),
        "rows_quarantined": dg.MetadataValue.int(result.total("rows_quarantined")),
        "extra_columns": dg.MetadataValue.text(
            ", ".join(sorted({c for f in loaded for c in f.extra_columns})) or "-"
        ),
    }


def build_raw_asset(contract: FeedContract) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["raw", contract.name]),
        group_name="raw",
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
        description=f"{contract.description} Loaded from landing/{contract.landing_subdir}/.",
    )
    def _raw(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource
    ) -> dg.MaterializeResult:
        if contract.name == "web" and landing.web_api_url:
            _pull_web_api(context, landing)

        shown = 0

        def report(fl: FileLoad) -> None:
            # Quarantine samples go to the log as warnings for the first files only: a year of
            # daily files would otherwise bury the summary; audit.quarantine holds every row.
            nonlocal shown
            context.log.info(
                f"{fl.source_file}: {fl.outcome}, read {fl.rows_read}, loaded {fl.rows_loaded}, "
                f"quarantined {fl.rows_quarantined}"
            )
            for message in fl.messages:
                if fl.outcome in ("failed", "rejected"):
                    context.log.error(message)
                elif fl.outcome == "loaded" and shown < MAX_LOGGED_SAMPLES:
                    shown += 1
                    context.log.warning(message)

        with warehouse.connect() as con:
            result = load_feed(
                con,
                contract,
                Path(landing.landing_dir),
                context.run.run_id,
                on_file=report,
                plausibility=landing.plausibility(),
            )
        context.log.info(f"{contract.name}: {result.unchanged} file(s) unchanged since an earlier run")
        # A rejected file (symlink, damaged, nothing loadable) is named and recorded in
        # audit.load_events but does not stop the feed's other files nor the feeds downstream.
        if result.failed:
            raise dg.Failure(
                description=f"{len(result.failed)} {contract.name} file(s) could not be loaded: "
                + " | ".join(m for f in result.failed for m in f.messages),
                metadata=_metadata(result),
            )
        return dg.MaterializeResult(metadata=_metadata(result))

    return _raw


raw_assets = [build_raw_asset(c) for c in FEEDS.values()]
