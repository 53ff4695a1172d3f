"""Run the whole pipeline in-process with Dagster, show progress, and summarise what landed."""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import date

import dagster as dg
from rich.console import Console

from pipelines.config import Settings
from pipelines.defs.assets.dbt import FULL_REFRESH_TAG
from pipelines.defs.assets.serving import SERVING_KEY
from pipelines.defs.build_state import build_inputs, read_landing, unchanged_since, write_landing, write_state
from pipelines.defs.checks.freshness import freshness_check_keys
from pipelines.defs.definitions import FULL_BUILD_JOB, build_definitions
from pipelines.defs.instance import cli_run_tags, open_instance, release_dead_runs
from pipelines.defs.partitions import (
    DAILY_FEEDS,
    days_keys,
    new_files,
    parse_days,
    partition_tags,
    plan_for,
    raw_key,
    run_days,
    today_utc,
    whole_checks,
    whole_keys,
)
from pipelines.defs.resources import LandingResource
from pipelines.defs.run_lock import Holder, run_lock
from pipelines.defs.run_summary import RunSummary, landed_by_feed, locate, read_audit
from pipelines.feeds import check_landing_dir
from pipelines.run_report import (
    group_failures,
    is_skip_notice,
    root_cause,
    run_log_path,
)
from pipelines.serving.publish import SERVING_FILE
from pipelines.spark.java_home import spark_missing
from sources.ingest.files import landing_snapshot

console = Console(stderr=True)


class SelectionError(ValueError):
    """An asset selection that names an unknown key or matches nothing."""


class EngineUnavailable(RuntimeError):
    """CRM360_ENGINE names an engine this machine cannot run (the message says what to install)."""


def _progress_logger(skipped: list[str]) -> dg.LoggerDefinition:
    """A Dagster logger that prints one line per finished or failed asset step with its time.

    Every record also goes to stdout, which run_pipeline sends to the run's log file; Dagster's
    'Dependencies for step X ... Not executing' notices are collected in `skipped`, not printed.
    """
    started: dict[str, float] = {}

    @dg.logger
    def progress(_init_context) -> logging.Logger:
        class Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                meta = getattr(record, "dagster_meta", None) or {}
                event = meta.get("dagster_event")
                step = meta.get("step_key") or ""
                print(f"{time.strftime('%H:%M:%S')} {record.levelname:<7} {step} {record.getMessage()}")
                if event is None:
                    text = str(meta.get("orig_message", record.getMessage()))
                    if is_skip_notice(text):
                        skipped.append(step)
                        return
                    # dagster-dbt notes each dbt test on the identity source (run by indirect
                    # selection, recorded in audit.check_results anyway): not worth a terminal line.
                    if text.startswith("Logging an `AssetObservation`"):
                        return
                    if record.levelno >= logging.WARNING and step:
                        style = "red" if record.levelno >= logging.ERROR else "yellow"
                        console.print(
                            f"    [{style}]{meta.get('orig_message', record.getMessage())}[/]", soft_wrap=True
                        )
                    return
                kind = event.event_type_value
                if kind == "STEP_START":
                    started[step] = time.perf_counter()
                elif kind == "STEP_SUCCESS":
                    took = time.perf_counter() - started.get(step, time.perf_counter())
                    console.print(f"  [green]done[/]   {step:<40} {took:6.1f} s")
                elif kind == "STEP_FAILURE":
                    console.print(f"  [red]FAILED[/] {step}")
                elif kind == "STEP_SKIPPED":
                    skipped.append(step)

        log = logging.getLogger("crm360.progress")
        log.handlers = [Handler()]
        log.setLevel(logging.DEBUG)  # step events arrive at DEBUG
        log.propagate = False
        return log

    return progress


def validate_selection(selection: str | dg.AssetSelection | None, graph) -> None:
    """Refuse a selection that names an unknown asset or matches nothing, listing the valid choices."""
    if selection is None or not isinstance(selection, str):
        return
    groups = sorted({n.group_name for n in graph.asset_nodes if n.group_name})
    keys = sorted(n.key.to_user_string() for n in graph.asset_nodes if n.is_materializable)
    choices = f"groups: {', '.join(f'group:{g}' for g in groups)}; assets: {', '.join(keys)}"
    try:
        matched = dg.AssetSelection.from_string(selection).resolve(graph)
    except Exception as exc:  # unknown key, bad syntax: Dagster's reason, first line only
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SelectionError(f"--select {selection!r}: {reason}\nvalid choices: {choices}") from None
    if not matched:
        raise SelectionError(f"--select {selection!r} matches no asset.\nvalid choices: {choices}")


def selected_keys(selection: str | dg.AssetSelection | None, graph) -> list[dg.AssetKey] | None:
    """The asset keys a selection names (None = the whole job), after validate_selection."""
    if selection is None:
        return None
    chosen = dg.AssetSelection.from_string(selection) if isinstance(selection, str) else selection
    return sorted(chosen.resolve(graph), key=lambda k: k.to_user_string())


def plan_run(
    settings: Settings,
    graph,
    selection: str | dg.AssetSelection | None,
    days: str | None,
    files: dict[str, list[str]],
) -> tuple[list[dg.AssetKey], list[dg.AssetCheckKey] | None, tuple[date, date] | None, str]:
    """What a run builds: its assets, its checks (None: those of its assets), its range of days of the
    event feeds' partitions, and a line saying so.

    --days: those days of every event feed, and everything else (the list feeds load what is new:
    they have no days). A whole run: every asset, the event feeds over the days of the landing files
    new since the last complete build (all of them the first time; today's alone when no event file
    is new). --select without --days: the same days for the event feeds it names.
    """
    file_days = LandingResource.from_settings(settings).file_days()
    today = today_utc()
    if days is not None:
        window = parse_days(days, file_days.first, today)
        if selection is not None:
            return selected_keys(selection, graph) or [], None, window, f"days {window[0]} to {window[1]}"
        keys = days_keys(graph)
        return (
            keys,
            whole_checks(keys, graph),
            window,
            f"days {window[0]} to {window[1]} (a backfill in one run)",
        )
    new = new_files(read_landing(settings.data_dir) or {}, files)
    plan = plan_for(new, file_days, today, pulls_api=bool(settings.web_api_url))
    window = run_days(plan, today)
    if selection is None:
        keys = whole_keys(graph)
        return keys, whole_checks(keys, graph), window, f"new files: {plan.describe()}"
    keys = selected_keys(selection, graph) or []
    daily = {raw_key(f) for f in DAILY_FEEDS}
    return keys, None, window if daily & set(keys) else None, f"new files: {plan.describe()}"


def run_pipeline(
    settings: Settings,
    selection: str | dg.AssetSelection | None = None,
    instance: dg.DagsterInstance | None = None,
    log_name: str = "run",
    force: bool = False,
    full_refresh: bool = False,
    days: str | None = None,
    wait: bool = False,
) -> RunSummary:
    """Execute the code location's full-build job (or a selection of it) in-process; never raises for
    a failed asset.

    The run goes to the data directory's Dagster instance (`<data dir>/dagster`, pipelines/defs/
    instance.py), so `crm360 ui` shows it with its materializations, checks and logs, and it waits for
    the warehouse pool like runs launched from the UI or the schedule. Pass an instance to use another
    (the caller then owns it). `days` ("2025-03-01:2025-03-07"): a backfill of those days of the event
    feeds and everything downstream, in one run (plan_run). Raises LandingMissing (pipelines.feeds),
    SelectionError, DaysError or EngineUnavailable before anything runs, and RunLocked while another
    run holds the data directory (`wait`: wait for it instead).
    """
    check_landing_dir(settings.landing_dir)  # before Dagster loads: a wrong --data-dir fails in a second
    if settings.engine == "spark" and (missing := spark_missing()):
        raise EngineUnavailable(missing)  # not after an hour of DuckDB steps
    with run_lock(settings.data_dir, wait=wait, on_wait=_tell_waiting):
        return _run_locked(settings, selection, instance, log_name, force, full_refresh, days)


def _tell_waiting(holder: Holder | None) -> None:
    who = holder.describe() if holder else "another process"
    console.print(f"[yellow]waiting for the run that holds this data directory: {who}[/]", soft_wrap=True)


def _run_locked(
    settings: Settings,
    selection: str | dg.AssetSelection | None,
    instance: dg.DagsterInstance | None,
    log_name: str,
    force: bool,
    full_refresh: bool,
    days: str | None,
) -> RunSummary:
    """run_pipeline's body, with the data directory held."""
    # A whole run with no new landing file and the same settings and code only loads and checks the
    # feeds (freshness keeps ageing); `force` builds everything anyway.
    whole = selection is None and days is None
    planned_at = time.time()
    files = landing_snapshot(settings.landing_dir)
    inputs = build_inputs(settings, files) if whole else None
    nothing_new = unchanged_since(settings, inputs) if inputs and not (force or full_refresh) else None
    started = time.perf_counter()
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    validate_selection(selection, graph)
    keys, checks, window, what = plan_run(settings, graph, selection, days, files)
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    skipped: list[str] = []
    # Replace Dagster's console logger (a line per engine event) with one line per asset.
    job_def = defs.resolve_job_def(FULL_BUILD_JOB)
    if nothing_new:  # the feeds' freshness only: every load and everything built from them is as it was
        keys, checks, window = [], freshness_check_keys(), None
        if not (settings.serving_dir / SERVING_FILE).exists():  # deleted, or a new serving dir: publish
            keys = [SERVING_KEY]
    else:
        console.print(f"[dim]{what}[/]")
    if checks is not None:
        job_def = job_def.get_subset(asset_selection=set(keys), asset_check_selection=set(checks))
    job_def = job_def.with_logger_defs({"progress": _progress_logger(skipped)})
    # dagster-dbt echoes every dbt event to stdout; keep it and every step's log lines in the run's file,
    # line-buffered: `tail -f` follows the run, and a killed run's file ends where it died.
    log_path = run_log_path(settings.data_dir / "logs", log_name)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    owned = instance is None
    instance = instance or open_instance(settings.data_dir)
    tags = {
        **cli_run_tags(),
        **({FULL_REFRESH_TAG: "true"} if full_refresh else {}),
        **(partition_tags(window) if window else {}),
    }
    try:
        for run_id in release_dead_runs(instance):
            console.print(
                f"[yellow]run {run_id[:8]} was killed mid-run: marked failed, its pool slot freed[/]"
            )
        with log_path.open("x", buffering=1) as log_file, contextlib.redirect_stdout(log_file):
            result = job_def.execute_in_process(
                instance=instance,
                asset_selection=None if checks is not None else keys,
                raise_on_error=False,
                run_config={"loggers": {"progress": {}}},
                tags=tags,
            )
    finally:
        if owned:
            instance.dispose()
    summary = RunSummary(
        run_id=result.run_id,
        success=result.success,
        seconds=time.perf_counter() - started,
        log_path=log_path,
        skipped_steps=sorted(set(skipped)),
    )
    summary.failures = group_failures(
        [
            (e.step_key or "?", root_cause(e.step_failure_data.error))
            for e in result.all_events
            if e.is_step_failure
        ]
    )
    planned = {
        k.to_user_string().replace("/", ".") for k in (keys or job_def.asset_layer.selected_asset_keys)
    }
    summary.materialized = {
        e.asset_key.to_user_string().replace("/", ".") for e in result.get_asset_materialization_events()
    }
    summary.unbuilt = sorted(planned - summary.materialized)
    summary.feeds = landed_by_feed(settings, result.run_id)
    read_audit(settings, summary, rejected_in=nothing_new)
    locate(settings, summary)
    summary.nothing_new_since = nothing_new
    if inputs is not None and not nothing_new and summary.exit_code in (0, 3):
        write_state(settings.data_dir, inputs, summary.run_id, planned_at)
        write_landing(settings.data_dir, files)  # the next whole run loads the days of files not in it
    return summary
