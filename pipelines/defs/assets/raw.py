"""Raw layer: one asset per feed, loading its landing files into raw.<feed> exactly once."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import dagster as dg

from pipelines.defs.partitions import feed_partitions, today_utc
from pipelines.defs.resources import PARTITIONS_START, WAREHOUSE_POOL, LandingResource, WarehouseResource
from sources.contracts import FeedContract
from sources.feeds import FEEDS
from sources.ingest.file_days import clamp, file_day
from sources.ingest.files import LandingFile
from sources.ingest.loader import load_feed
from sources.ingest.results import FeedLoad, FileLoad
from sources.privacy.suppression import has_entries

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
        "rows_suppressed": dg.MetadataValue.int(result.total("rows_suppressed")),
        "extra_columns": dg.MetadataValue.text(
            ", ".join(sorted({c for f in loaded for c in f.extra_columns})) or "-"
        ),
    }


def _days_filter(
    context: dg.AssetExecutionContext, contract: FeedContract, landing: LandingResource
) -> Callable[[LandingFile], bool] | None:
    """In a run over a range of days, the files of those days only; else (a run without partitions,
    e.g. dg.materialize in tests) every file."""
    # The range tags are the run's: an unpartitioned list feed in the same run sees them too.
    if not contract.daily or not context.has_partition_key_range:
        return None
    window = context.partition_key_range
    first, last = date.fromisoformat(window.start), date.fromisoformat(window.end)
    file_days, today = landing.file_days(), today_utc()
    context.log.info(f"{contract.name}: files of {first} to {last}")

    def of_these_days(lf: LandingFile) -> bool:
        mtime = lf.path.lstat().st_mtime_ns
        found = file_day(lf.relative, mtime, file_days.pattern(contract.name))
        inside = first <= clamp(found.day, file_days.first, today) <= last
        if inside and not found.from_name:
            context.log.warning(
                f"{lf.relative}: no day in its name; counted under its modification day {found.day}"
            )
        return inside

    return of_these_days


def build_raw_asset(
    contract: FeedContract, partitions: dg.PartitionsDefinition | None = None
) -> dg.AssetsDefinition:
    daily = partitions is not None and contract.daily

    @dg.asset(
        key=dg.AssetKey(["raw", contract.name]),
        group_name="raw",
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
        description=f"{contract.description} Loaded from landing/{contract.landing_subdir}/"
        + (", one partition per day of the files." if daily else "."),
        partitions_def=partitions if daily else None,
        # A range of days is one run: one writer, one load per feed, and dbt downstream once.
        backfill_policy=dg.BackfillPolicy.single_run() if daily else None,
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
                f"quarantined {fl.rows_quarantined}, suppressed {fl.rows_suppressed}"
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
                only=_days_filter(context, contract, landing),
                # the key only once someone was erased: a deployment that never erased needs none
                key=landing.load_pseudonym_key() if has_entries(con) else None,
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


def build_raw_assets(first: date | None = None) -> list[dg.AssetsDefinition]:
    """One asset per feed; the event feeds partitioned by day from `first` (Settings.partitions_start)."""
    partitions = feed_partitions(first or PARTITIONS_START)
    return [build_raw_asset(c, partitions) for c in FEEDS.values()]
