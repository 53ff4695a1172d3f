"""What a `crm360 run` did: the summary of its result and audit tables, and how it is printed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from pipelines.config import Settings
from pipelines.kpi.dashboard.render import DASHBOARD_FILE
from pipelines.run_report import check_lines, exit_code, rejected_files, warning_lines
from pipelines.serving.publish import SERVING_FILE
from sources.lib.duck import table_exists

console = Console(stderr=True)


@dataclass
class RunSummary:
    run_id: str
    success: bool
    seconds: float
    # feed, files, rows read, loaded, quarantined, suppressed (records of erased people, dropped)
    feeds: list[tuple[str, int, int, int, int, int]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)  # error-severity checks, rule + table
    warned_checks: list[str] = field(default_factory=list)  # warn-severity checks that failed
    materialized: set[str] = field(default_factory=set)  # "schema.table" built in this run
    unbuilt: list[str] = field(default_factory=list)  # selected assets this run did not build
    log_path: Path | None = None
    rejected_files: list[str] = field(default_factory=list)  # "feed: file: reason", this run's
    skipped_checks: int = 0  # error checks not run because what they test was not built
    skipped_steps: list[str] = field(default_factory=list)  # steps not executed (an upstream failed)
    nothing_new_since: str | None = None  # the last complete build's run id, when nothing changed since
    serving: Path | None = None  # the serving copy, when one exists
    serving_run: str | None = None  # the run it was published by (its main.publication)
    dashboard: Path | None = None

    @property
    def exit_code(self) -> int:
        """`crm360 run`'s status: 0 clean, 3 built with rejected files, 1 not built (README.md)."""
        return exit_code(self.success, self.rejected_files)


def read_audit(settings: Settings, summary: RunSummary, rejected_in: str | None = None) -> None:
    """Fill the summary's failed checks, skipped-check count and rejected files from the audit tables.

    `rejected_in`: the run whose rejected files still stand (a run with nothing new loads nothing, and
    the last build's rejected files are still in the landing, unloaded)."""
    if not settings.warehouse_path.exists():
        return
    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    except duckdb.IOException as exc:
        summary.failed_checks = [f"(cannot read audit.check_results: {' '.join(str(exc).split())})"]
        return
    try:
        summary.failed_checks, summary.skipped_checks = check_lines(con, summary.run_id)
        summary.warned_checks = warning_lines(con, summary.run_id)
        summary.rejected_files = rejected_files(con, rejected_in or summary.run_id)
    except duckdb.Error:  # e.g. audit tables from an older layout: no verdict rather than a crash
        pass
    finally:
        con.close()


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return (
        con.execute(
            "SELECT count(*) FROM duckdb_columns() "
            "WHERE schema_name = 'audit' AND table_name = ? AND column_name = ?",
            [table, column],
        ).fetchone()[0]
        > 0
    )


def landed_by_feed(settings: Settings, run_id: str) -> list[tuple[str, int, int, int, int, int]]:
    """Files, rows read, loaded, quarantined and suppressed per feed in this run, from audit.load_ledger."""
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
        # A ledger from before the suppression list, not loaded into since, has no rows_suppressed.
        suppressed = "sum(rows_suppressed)" if _has_column(con, "load_ledger", "rows_suppressed") else "0"
        return con.execute(
            f"""
            SELECT feed, count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined),
                   coalesce({suppressed}, 0)
            FROM audit.load_ledger WHERE run_id = ? GROUP BY feed ORDER BY feed
            """,
            [run_id],
        ).fetchall()
    finally:
        con.close()


def read_publication(serving: Path) -> str | None:
    """The run id in the serving copy's main.publication; None if there is no copy or it is unreadable."""
    if not serving.exists():
        return None
    try:
        con = duckdb.connect(str(serving), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute("SELECT run_id FROM main.publication").fetchone()
        return row[0] if row else None
    except duckdb.Error:
        return None
    finally:
        con.close()


def locate(settings: Settings, summary: RunSummary) -> None:
    """Fill where the run's results are: the serving copy (and which run it holds) and the dashboard."""
    serving = settings.serving_dir / SERVING_FILE
    summary.serving_run = read_publication(serving)
    summary.serving = serving if summary.serving_run is not None else None
    dashboard = settings.reports_dir / DASHBOARD_FILE
    summary.dashboard = dashboard if dashboard.exists() else None


def where_lines(summary: RunSummary) -> list[str]:
    """The short block saying where things are and how to query them (docs/querying.md)."""
    if summary.serving is None:
        lines = ["serving copy: none yet (a run publishes it when it builds everything and its checks pass)"]
    else:
        fresh = summary.serving_run == summary.run_id
        note = "published by this run" if fresh else f"the last good copy, from run {summary.serving_run[:8]}"
        lines = [f"serving copy: {summary.serving} ({note})"]
    if summary.dashboard:
        lines.append(f"dashboard:    {summary.dashboard.as_uri()}")
    if summary.serving is not None:
        lines += [
            f"query:        crm360 sql --db {summary.serving} 'select * from marts.kpi_headline'",
            f"              python: duckdb.connect('{summary.serving}', read_only=True); "
            f"BI: duckdb:///{summary.serving}?access_mode=read_only",
            "              docs/querying.md: tables, comments, connection strings",
        ]
    return lines


def print_summary(summary: RunSummary) -> None:
    table = Table(title=f"crm360 run {summary.run_id[:8]}: what landed")
    for col in ("feed", "files", "rows read", "rows loaded", "quarantined", "suppressed"):
        table.add_column(col, justify="left" if col == "feed" else "right")
    for feed, *numbers in summary.feeds:
        table.add_row(feed, *(f"{n:,}" for n in numbers))
    if not summary.feeds:
        table.add_row("(no new files)", "0", "0", "0", "0", "0")
    console.print(table)
    status = {0: "[green]succeeded[/]", 3: "[yellow]built, with rejected files[/]"}.get(
        summary.exit_code, "[red]FAILED[/]"
    )
    console.print(
        f"run {status} in {summary.seconds:.1f} s (exit {summary.exit_code}); log: {summary.log_path}"
    )
    if summary.nothing_new_since:
        console.print(
            f"nothing new since run {summary.nothing_new_since[:8]} (no new landing file; settings, code "
            "and dbt project unchanged): the feeds' freshness checked, nothing loaded or built "
            + ("but the missing serving copy " if "serving.crm360" in summary.materialized else "")
            + "(`crm360 run --force` builds them anyway)",
            soft_wrap=True,
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
    if summary.warned_checks:
        console.print(f"[yellow]warnings ({len(summary.warned_checks)}), in audit.check_results:[/]")
        for line in summary.warned_checks:
            console.print(f"[yellow]  WARN {line}[/]", soft_wrap=True)
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
    for line in where_lines(summary):
        console.print(line, soft_wrap=True, highlight=False, markup=False)
