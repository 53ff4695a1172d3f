"""Great Expectations on every loaded batch (one landing file = one load_id), several loads per validation.

Pending loads are validated in groups of up to `sample_rows` rows (quality/gx_groups.py), each group
as one pandas DataFrame with a `_load_id` column; the results are split back per load
(quality/gx_attribution.py), so audit.check_results and audit.gx_validated keep one entry per load.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from quality.gx_attribution import BatchValidation, attribute
from quality.gx_context import feed_checkpoint, gx_context
from quality.gx_groups import LOAD_ID, PendingLoad, capped, plan_groups
from quality.results import CheckResult, ensure_check_results, record_results
from sources.contracts import FeedContract
from sources.feeds import FEEDS
from sources.lib.duck import table_exists
from sources.lib.sqltext import ident, to_utc_sql

# Measured on 2 cores with the POS suite (34 expectations): 50k rows 0.85 s, a 500k-row file
# sampled to 50k 1.3 s, 2M sampled 2.2 s (the reservoir scan). A validation holds up to this many
# rows (several small loads, or one larger load on a reservoir sample, whose results say so:
# sample.sampled, rows_validated < rows_in_batch).
SAMPLE_ROWS = 50_000
SAMPLE_SEED = 42

GX_VALIDATED_DDL = """
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.gx_validated (
    load_id        VARCHAR PRIMARY KEY,  -- audit.load_ledger.load_id: one landing file
    feed           VARCHAR NOT NULL,
    source_file    VARCHAR,
    rows_in_batch  BIGINT NOT NULL,
    rows_validated BIGINT NOT NULL,      -- < rows_in_batch when the batch was sampled
    success        BOOLEAN,              -- NULL for an empty batch (nothing to validate)
    docs_page      VARCHAR,              -- Data Docs page of this batch's validation
    run_id         VARCHAR,
    validated_at   TIMESTAMPTZ NOT NULL
);
"""


@dataclass
class GxRun:
    batches: list[BatchValidation]  # one per load (landing file)
    docs_index: Path | None  # None when nothing was validated and no docs exist yet
    pending: int = 0  # loads left for the next run (max_batches GX validations reached)
    validation_seconds: list[float] = field(default_factory=list)  # one per GX validation

    @property
    def results(self) -> list[CheckResult]:
        return [r for b in self.batches for r in b.results]

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]


def batch_select(contract: FeedContract) -> str:
    """Contract columns as GX should see them: allowed-value codes lower-cased (the loader checks
    them case-insensitively) and timestamps as naive UTC; _source_line and _load_id identify
    example rows."""
    cols = []
    for c in contract.columns:
        if c.allowed:
            cols.append(f"lower({ident(c.name)}) AS {ident(c.name)}")
        elif c.type == "TIMESTAMPTZ":
            cols.append(f"{to_utc_sql(ident(c.name))} AS {ident(c.name)}")
        else:
            cols.append(ident(c.name))
    return ", ".join([*cols, "_source_line", LOAD_ID])


def pending_loads(con: duckdb.DuckDBPyConnection, contract: FeedContract) -> list[PendingLoad]:
    """The feed's loads not validated yet, oldest first, with their rows in raw (one scan)."""
    con.execute(GX_VALIDATED_DDL)
    rows = con.execute(
        f"""
        WITH todo AS (
            SELECT l.load_id, l.source_file, l.loaded_at FROM audit.load_ledger l
            ANTI JOIN audit.gx_validated v USING (load_id) WHERE l.feed = ?
        ),
        counts AS (
            SELECT _load_id AS load_id, count(*) AS n FROM {contract.raw_table}
            WHERE _load_id IN (SELECT load_id FROM todo) GROUP BY ALL
        )
        SELECT t.load_id, t.source_file, coalesce(c.n, 0) FROM todo t LEFT JOIN counts c USING (load_id)
        ORDER BY t.loaded_at, t.load_id
        """,
        [contract.name],
    ).fetchall()
    return [PendingLoad(*r) for r in rows]


def fetch_group(
    con: duckdb.DuckDBPyConnection,
    contract: FeedContract,
    group: list[PendingLoad],
    sample_rows: int = SAMPLE_ROWS,
) -> pd.DataFrame:
    """The rows GX validates for a group: every row of its loads, or a reservoir sample of a load
    that alone is larger than `sample_rows` (plan_groups gives such a load a group of its own)."""
    sql = f"SELECT {batch_select(contract)} FROM {contract.raw_table} WHERE {LOAD_ID} IN (SELECT unnest(?))"
    if sum(g.rows for g in group) > sample_rows:
        # USING SAMPLE applies before WHERE, so the load is filtered in a subquery first
        sample = f"USING SAMPLE reservoir({int(sample_rows)} ROWS) REPEATABLE ({SAMPLE_SEED})"
        sql = f"SELECT * FROM ({sql}) {sample}"
    return con.execute(sql + f" ORDER BY {LOAD_ID}, _source_line", [[g.load_id for g in group]]).df()


def _run_name(group: list[PendingLoad]) -> str:
    """The Data Docs page name: the group's first load, and how many loads it holds (URL-safe)."""
    name = group[0].load_id + (f"__{len(group)}_loads" if len(group) > 1 else "")
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def validate_group(
    con: duckdb.DuckDBPyConnection,
    checkpoint: Any,
    contract: FeedContract,
    group: list[PendingLoad],
    sample_rows: int = SAMPLE_ROWS,
) -> tuple[list[BatchValidation], Any, float]:
    """Validate a group of loads in one GX validation: each load's outcome, GX's
    ValidationResultIdentifier (its Data Docs page) and the seconds it took."""
    from great_expectations.core.run_identifier import RunIdentifier

    t0 = time.perf_counter()
    df = fetch_group(con, contract, group, sample_rows)
    seen = df[LOAD_ID].value_counts().to_dict()
    batches = [
        BatchValidation(contract.name, g.load_id, g.source_file, g.rows, int(seen.get(g.load_id, 0)), None)
        for g in group
    ]
    for b in batches:
        b.loads_in_validation = len(group)
    run_id = RunIdentifier(run_name=_run_name(group), run_time=datetime.now(UTC))
    cp_result = checkpoint.run(batch_parameters={"dataframe": df}, run_id=run_id)
    [(vr_id, suite_result)] = cp_result.run_results.items()
    attribute(suite_result, contract, batches)
    return batches, vr_id, time.perf_counter() - t0


def _mark_validated(con: duckdb.DuckDBPyConnection, batches: list[BatchValidation], run_id: str) -> None:
    """One row per load, in one statement (a full build marks hundreds of loads per feed)."""
    if not batches:
        return
    con.execute(
        "INSERT OR REPLACE INTO audit.gx_validated SELECT unnest(?), unnest(?), unnest(?), unnest(?), "
        "unnest(?), unnest(?), unnest(?), ?, current_timestamp",
        [
            [b.load_id for b in batches],
            [b.feed for b in batches],
            [b.source_file for b in batches],
            [b.rows_in_batch for b in batches],
            [b.rows_validated for b in batches],
            [b.success for b in batches],
            [b.docs_page for b in batches],
            run_id,
        ],
    )


def _docs_url(context: Any, resource: Any = None) -> str | None:
    sites = context.get_docs_sites_urls(resource_identifier=resource, only_if_exists=False)
    return sites[0]["site_url"] if sites else None


def _validate_feed(
    con: duckdb.DuckDBPyConnection,
    context: Any,
    contract: FeedContract,
    loads: list[PendingLoad],
    sample_rows: int,
    max_batches: int | None,
) -> tuple[GxRun, list[Any]]:
    """A feed's pending loads, grouped and validated; empty loads are marked without a validation."""
    groups, waiting = capped(plan_groups(loads, sample_rows), max_batches)
    run = GxRun(
        batches=[
            BatchValidation(contract.name, x.load_id, x.source_file, 0, 0, None) for x in loads if not x.rows
        ],
        docs_index=None,
        pending=waiting,
    )
    if not groups:
        return run, []
    checkpoint = feed_checkpoint(context, contract)
    doc_ids: list[Any] = []
    for group in groups:
        batches, vr_id, seconds = validate_group(con, checkpoint, contract, group, sample_rows)
        page = _docs_url(context, vr_id)
        for b in batches:
            b.docs_page = page
        run.batches += batches
        run.validation_seconds.append(seconds)
        doc_ids.append(vr_id)
    return run, doc_ids


def validate_new_batches(
    con: duckdb.DuckDBPyConnection,
    reports_dir: Path,
    run_id: str,
    feeds: Iterable[str] | None = None,
    sample_rows: int = SAMPLE_ROWS,
    max_batches: int | None = None,
) -> GxRun:
    """Validate every load not validated before, record the results and build Data Docs.

    Writes audit.check_results (one row per expectation per load) and audit.gx_validated (one row
    per load, so the next run skips it); Data Docs (one page per GX validation, shared by the loads
    validated together) go to <reports_dir>/gx/data_docs/index.html. `max_batches` caps the GX
    validations per feed in one run (a backfill of millions of rows); the loads beyond are counted
    in `pending` and validated by the next run.
    """
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    ensure_check_results(con)
    con.execute(GX_VALIDATED_DDL)
    if not table_exists(con, "audit", "load_ledger"):  # nothing was ever loaded: nothing to validate
        return GxRun(batches=[], docs_index=None)
    total, context, doc_ids = GxRun(batches=[], docs_index=None), None, []
    for name in feeds or FEEDS:
        contract = FEEDS[name]
        loads = pending_loads(con, contract)
        if not loads:
            continue
        context = context or gx_context(reports_dir / "gx")
        run, ids = _validate_feed(con, context, contract, loads, sample_rows, max_batches)
        total.batches += run.batches
        total.pending += run.pending
        total.validation_seconds += run.validation_seconds
        if ids:
            doc_ids += [ExpectationSuiteIdentifier(name=contract.raw_table), *ids]
    if doc_ids:
        # Only this run's pages are rendered; the index lists the latest INDEX_LIMIT validations.
        context.build_data_docs(resource_identifiers=doc_ids)
    index = reports_dir / "gx" / "data_docs" / "index.html"
    # Results and the validated marks commit together: a crash in between cannot record a load
    # twice or mark it validated without its results.
    con.execute("BEGIN TRANSACTION")
    try:
        record_results(con, total.results, run_id)
        _mark_validated(con, total.batches, run_id)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    total.docs_index = index if index.exists() else None
    return total
