"""Run the whole pipeline in-process with Dagster, show progress, and summarise what landed."""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
from rich.console import Console
from rich.table import Table

from pipelines.config import Settings
from pipelines.defs.definitions import FULL_BUILD_JOB, build_definitions
from pipelines.defs.instance import cli_run_tags, open_instance, release_dead_runs
from pipelines.feeds import check_landing_dir
from pipelines.run_report import (
    check_lines,
    exit_code,
    group_failures,
    is_skip_notice,
    rejected_files,
    root_cause,
    run_log_path,
)
from sources.lib.duck import table_exists

console = Console(stderr=True)


@dataclass
class RunSummary:
    run_id: str
    success: bool
    seconds: float
    feeds: list[tuple[str, int, int, int, int]] = field(default_factory=list)  # feed, files, read, loaded, q
    failures: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)  # error-severity checks, rule + table
    materialized: set[str] = field(default_factory=set)  # "schema.table" built in this run
    unbuilt: list[str] = field(default_factory=list)  # selected assets this run did not build
    log_path: Path | None = None
    rejected_files: list[str] = field(default_factory=list)  # "feed: file: reason", this run's
    skipped_checks: int = 0  # error checks not run because what they test was not built
    skipped_steps: list[str] = field(default_factory=list)  # steps not executed (an upstream failed)

    @property
    def exit_code(self) -> int:
        """`crm360 run`'s status: 0 clean, 3 built with rejected files, 1 not built (README.md)."""
        return exit_code(self.success, self.rejected_files)


class SelectionError(ValueError):
    """An asset selection that names an unknown key or matches nothing."""


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


def run_pipeline(
    settings: Settings,
    selection: str | dg.AssetSelection | None = None,
    instance: dg.DagsterInstance | None = None,
    log_name: str = "run",
) -> RunSummary:
    """Execute the code location's full-build job (or a selection of it) in-process; never raises for
    a failed asset.

    The run goes to the data directory's Dagster instance (`<data dir>/dagster`, pipelines/defs/
    instance.py), so `crm360 ui` shows it with its materializations, checks and logs, and it waits for
    the warehouse pool like runs launched from the UI or the schedule. Pass an instance to use another
    (the caller then owns it). Raises LandingMissing (pipelines.feeds) or SelectionError before anything runs.
    """
    check_landing_dir(settings.landing_dir)  # before Dagster loads: a wrong --data-dir fails in a second
    started = time.perf_counter()
    defs = build_definitions(settings)
    validate_selection(selection, defs.resolve_asset_graph())
    keys = selected_keys(selection, defs.resolve_asset_graph())
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    skipped: list[str] = []
    # Replace Dagster's console logger (a line per engine event) with one line per asset.
    job_def = defs.resolve_job_def(FULL_BUILD_JOB).with_logger_defs({"progress": _progress_logger(skipped)})
    # dagster-dbt echoes every dbt event to stdout; keep it and every step's log lines in the run's file.
    log_path = run_log_path(settings.data_dir / "logs", log_name)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    owned = instance is None
    instance = instance or open_instance(settings.data_dir)
    try:
        for run_id in release_dead_runs(instance):
            console.print(
                f"[yellow]run {run_id[:8]} was killed mid-run: marked failed, its pool slot freed[/]"
            )
        with log_path.open("x") as log_file, contextlib.redirect_stdout(log_file):
            result = job_def.execute_in_process(
                instance=instance,
                asset_selection=keys,
                raise_on_error=False,
                run_config={"loggers": {"progress": {}}},
                tags=cli_run_tags(),
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
    read_audit(settings, summary)
    return summary


def read_audit(settings: Settings, summary: RunSummary) -> None:
    """Fill the summary's failed checks, skipped-check count and rejected files from the audit tables."""
    if not settings.warehouse_path.exists():
        return
    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    except duckdb.IOException as exc:
        summary.failed_checks = [f"(cannot read audit.check_results: {' '.join(str(exc).split())})"]
        return
    try:
        summary.failed_checks, summary.skipped_checks = check_lines(con, summary.run_id)
        summary.rejected_files = rejected_files(con, summary.run_id)
    except duckdb.Error:  # e.g. audit tables from an older layout: no verdict rather than a crash
        pass
    finally:
        con.close()


def landed_by_feed(settings: Settings, run_id: str) -> list[tuple[str, int, int, int, int]]:
    """Files, rows read, loaded and quarantined per feed in this run, from audit.load_ledger."""
    if not settings.warehouse_path.exists():
        return []
    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    except duckdb.IOException as exc:  # another process holds the write lock (STACK_NOTES)
        console.print(f"[yellow]cannot read the load ledger: {exc}[/]")
        return []
    try:
        exists = table_exists(con, "audit", "load_ledger")
        if not exists:
            return []
        return con.execute(
            """
            SELECT feed, count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined)
            FROM audit.load_ledger WHERE run_id = ? GROUP BY feed ORDER BY feed
            """,
            [run_id],
        ).fetchall()
    finally:
        con.close()


def print_summary(summary: RunSummary) -> None:
    table = Table(title=f"crm360 run {summary.run_id[:8]}: what landed")
    for col in ("feed", "files", "rows read", "rows loaded", "quarantined"):
        table.add_column(col, justify="left" if col == "feed" else "right")
    for feed, files, read, loaded, quarantined in summary.feeds:
        table.add_row(feed, f"{files:,}", f"{read:,}", f"{loaded:,}", f"{quarantined:,}")
    if not summary.feeds:
        table.add_row("(no new files)", "0", "0", "0", "0")
    console.print(table)
    status = {0: "[green]succeeded[/]", 3: "[yellow]built, with rejected files[/]"}.get(
        summary.exit_code, "[red]FAILED[/]"
    )
    console.print(
        f"run {status} in {summary.seconds:.1f} s (exit {summary.exit_code}); log: {summary.log_path}"
    )
    for failure in summary.failures:
        console.print(f"[red]  {failure}[/]", soft_wrap=True)
    if summary.skipped_steps:
        console.print(
            f"[yellow]  {len(summary.skipped_steps)} later steps not executed because of the failure above "
            "(the log file lists them)[/]",
            soft_wrap=True,
        )
    if summary.rejected_files:
        console.print(f"[yellow]rejected files ({len(summary.rejected_files)}), in audit.load_events:[/]")
        for line in summary.rejected_files:
            console.print(f"[yellow]  {line}[/]", soft_wrap=True)
    if summary.failed_checks:
        console.print(f"[red]failed checks ({len(summary.failed_checks)}), all in audit.check_results:[/]")
        for line in summary.failed_checks:
            console.print(f"[red]  FAILED {line}[/]", soft_wrap=True)
    if summary.skipped_checks:
        console.print(
            f"  {summary.skipped_checks} checks skipped (what they test was not built): not failures"
        )
    if not summary.success and summary.unbuilt:
        marts = [a for a in summary.unbuilt if a.startswith(("marts.", "reports."))]
        shown = ", ".join(marts[:8]) + (", ..." if len(marts) > 8 else "")
        console.print(
            f"[yellow]not built in this run: {len(summary.unbuilt)} assets, "
            f"{len(marts)} of them marts/reports ({shown})[/]",
            soft_wrap=True,
        )
