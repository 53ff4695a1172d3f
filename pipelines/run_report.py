"""What `crm360 run` tells a person: its exit status, a failure's root cause, rejected files, checks.

Pure functions and read-only warehouse queries, no Dagster: pipelines/defs/runner.py feeds them.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb

from sources.lib.duck import table_exists

# Exit statuses of `crm360 run` (README.md, "Exit status").
EXIT_OK = 0  # everything selected was built, no file was rejected
EXIT_NOT_BUILT = 1  # a step or a blocking check failed: something selected was not built
EXIT_REFUSED = 2  # refused before the run (missing landing folder, bad --select): nothing built
EXIT_REJECTED_FILES = 3  # everything built, but some landing files were rejected (named in the summary)

# Outcomes in audit.load_events that load rows or skip a file already loaded; any other is a rejection.
_ACCEPTED_OUTCOMES = ("loaded", "skipped_duplicate", "skipped_empty")
_LOCK = re.compile(
    r"Conflicting lock is held in (?P<exe>.+?) \(PID (?P<pid>\d+)\)(?: by user (?P<user>\S+))?"
)
_SKIP_NOTICE = re.compile(r"^Dependencies for step \S+ (failed|were not executed).*Not executing\.?$", re.S)


def exit_code(success: bool, rejected_files: list[str]) -> int:
    """0 built from clean input; 3 built with rejected files; 1 not built."""
    if not success:
        return EXIT_NOT_BUILT
    return EXIT_REJECTED_FILES if rejected_files else EXIT_OK


class ErrorInfo(Protocol):
    """The shape of Dagster's SerializableErrorInfo that root_cause reads."""

    message: str
    cls_name: str | None
    cause: Any
    context: Any


def root_cause(error: ErrorInfo | None) -> str:
    """The innermost error under Dagster's wrappers ('Error occurred while executing op ...'), one line,
    with what to do when it is a DuckDB lock."""
    if error is None:
        return "failed (no error recorded; see the log file)"
    inner = error
    while (inner.cause or inner.context) is not None:
        inner = inner.cause or inner.context
    text = re.sub(r"^(?:[a-z_]+\.)+(?=[A-Z]\w*: )", "", " ".join(inner.message.split()))  # drop module path
    name = inner.cls_name or ""
    if name and not text.startswith(name) and "." not in text.split(":", 1)[0]:
        text = f"{name}: {text}"
    hint = lock_hint(text)
    return f"{text}\n    -> {hint}" if hint else text


def group_failures(failures: list[tuple[str, str]]) -> list[str]:
    """'step: cause' per failed step; steps that failed for the same cause share one entry."""
    steps: dict[str, list[str]] = {}
    for step, cause in failures:
        steps.setdefault(cause, []).append(step)
    return [f"{', '.join(names)}: {cause}" for cause, names in steps.items()]


def lock_hint(text: str) -> str | None:
    """What to do when DuckDB says another process holds the warehouse file (its message names the PID)."""
    match = _LOCK.search(text)
    if not match:
        return None
    who = f"process {match['pid']} ({match['exe']}" + (f", user {match['user']})" if match["user"] else ")")
    return (
        f"the warehouse is held open by {who}. Close that program (a BI tool, notebook or another "
        f"`crm360 run`; `ps -p {match['pid']}` shows it) and run again. Readers should query the serving "
        "copy, serving/crm360.duckdb in the data directory (CRM360_SERVING_DIR), which a run never holds."
    )


def is_skip_notice(text: str) -> bool:
    """Dagster's 'Dependencies for step X failed ... Not executing.' (summarised as one line instead)."""
    return bool(_SKIP_NOTICE.match(text.strip()))


def run_log_path(logs_dir: Path, name: str, now: datetime | None = None, pid: int | None = None) -> Path:
    """<logs>/<name>-<YYYYmmddTHHMMSS.ffffff>-<pid>.log: two runs in the same second never share one."""
    stamp = (now or datetime.now()).strftime("%Y%m%dT%H%M%S.%f")
    return logs_dir / f"{name}-{stamp}-{pid if pid is not None else os.getpid()}.log"


def rejected_files(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """'feed: file: reason' for every landing file of this run that was not loaded and not a duplicate."""
    if not table_exists(con, "audit", "load_events"):
        return []
    rows = con.execute(
        f"""
        SELECT feed, source_file, outcome, coalesce(message, '') FROM audit.load_events
        WHERE run_id = ? AND outcome NOT IN {_ACCEPTED_OUTCOMES}
        ORDER BY feed, source_file
        """,
        [run_id],
    ).fetchall()
    return [
        f"{feed}: {file}: {outcome}" + (f" ({msg[:200]})" if msg else "") for feed, file, outcome, msg in rows
    ]


def warning_lines(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """Warn-severity checks of this run that failed, as 'rule on table: N failing': worth a look,
    never blocking (e.g. past campaign sends without consent, marts.kpi_consent_compliance)."""
    if not table_exists(con, "audit", "check_results"):
        return []
    rows = con.execute(
        """
        SELECT check_name, asset, failing_rows, try(json_extract_string(sample, '$.message')) AS message
        FROM audit.check_results
        WHERE run_id = ? AND severity = 'warn' AND NOT passed
            AND coalesce(try(json_extract_string(sample, '$.status')), '') <> 'skipped'
        ORDER BY asset, check_name
        """,
        [run_id],
    ).fetchall()
    return [
        f"{name} on {asset or '?'}" + (f": {n:,} failing" if n is not None else f": {msg}" if msg else "")
        for name, asset, n, msg in rows
    ]


def check_lines(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[list[str], int]:
    """(error-severity checks of this run that failed, as 'rule on table: N failing'; count of skipped ones).

    A dbt test dbt skipped (its model was not built) proved nothing either way: counted, not failed.
    """
    if not table_exists(con, "audit", "check_results"):
        return [], 0
    rows = con.execute(
        """
        SELECT check_name, asset, failing_rows, try(json_extract_string(sample, '$.message')) AS message,
               coalesce(try(json_extract_string(sample, '$.status')), '') = 'skipped' AS skipped
        FROM audit.check_results
        WHERE run_id = ? AND severity = 'error' AND NOT passed ORDER BY asset, check_name
        """,
        [run_id],
    ).fetchall()
    failed = [
        f"{name} on {asset or '?'}" + (f": {n:,} failing" if n is not None else f": {msg}" if msg else "")
        for name, asset, n, msg, skipped in rows
        if not skipped
    ]
    return failed, sum(1 for *_, skipped in rows if skipped)
