"""Splink in an incremental run: reuse the stored links of unchanged clusters, score only the rest.

A full run scores every blocked pair of representatives of two clusters and keeps the best per
cluster pair. Where neither cluster changed (same representatives, same blocking keys) that best
pair and its comparison levels are the stored ones; only the prior moved, which Splink
re-estimates on every run's representatives and which shifts every match weight by the same
log-odds. So stored links are shifted, not scored again; one whose shift crosses the match
threshold (kept <-> not kept) is scored again with its clusters.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb

from pipelines.identity import model as fs
from pipelines.identity.settings import IdentitySettings

# Round match weights used to order edges in the guard: a shifted stored weight and a freshly
# scored one with the same comparison levels may differ in the last bits, and the guard's order
# (hence which edge of a conflict it cuts) must not depend on that.
WEIGHT_DECIMALS = 8


def log_odds(p: float) -> float:
    return math.log2(p / (1.0 - p))


def max_prior_shift(s: IdentitySettings) -> float:
    """The largest rise of the prior's log-odds under which no pair left unstored (below the review
    threshold) could reach the match threshold; beyond it only a full run is exact."""
    return log_odds(s.match_threshold) - log_odds(s.review_threshold)


def estimate_prior(con: duckdb.DuckDBPyConnection, model: dict[str, Any]) -> float:
    """The prior a full run would use: estimated on every representative (id_reps)."""
    return fs.estimate_prior(fs.make_linker(con, model))


def load_stored_links(con: duckdb.DuckDBPyConnection, db: str, prev: str) -> None:
    """Create inc_links(a, b, match_weight, status, details): the stored Splink edges by record id."""
    con.execute(f"""
        CREATE OR REPLACE TABLE inc_links AS
        SELECT x.rid AS a, y.rid AS b, e.match_weight, e.status, e.details::VARCHAR AS details
        FROM {db}.core.identity_edges e
        JOIN {prev} x ON x.source_system = e.source_system_a AND x.source_record_id = e.source_record_id_a
        JOIN {prev} y ON y.source_system = e.source_system_b AND y.source_record_id = e.source_record_id_b
        WHERE e.rule = 'splink'
    """)


def shift_links(con: duckdb.DuckDBPyConnection, shift: float, s: IdentitySettings) -> None:
    """Create inc_shifted: stored links between two unchanged clusters with the new prior's weight.

    Needs id_reps(unique_id, cluster_id) and inc_changed(cluster_id). `flip` marks a link whose
    side of the match threshold changed; `stored` whether it is still above the review threshold.
    """
    con.execute(f"""
        CREATE OR REPLACE TABLE inc_shifted AS
        WITH w AS (
            SELECT l.a, l.b, l.status, l.details, l.match_weight + {shift!r} AS mw
            FROM inc_links l
            JOIN id_reps x ON x.unique_id = l.a JOIN id_reps y ON y.unique_id = l.b
            WHERE x.cluster_id NOT IN (SELECT cluster_id FROM inc_changed)
              AND y.cluster_id NOT IN (SELECT cluster_id FROM inc_changed)
        )
        SELECT a, b, mw AS match_weight, 1.0 / (1.0 + pow(2.0, -mw)) AS match_probability, details,
               status,
               (status <> 'below_threshold') <> (1.0 / (1.0 + pow(2.0, -mw)) >= {s.match_threshold}) AS flip,
               1.0 / (1.0 + pow(2.0, -mw)) >= {s.review_threshold} AS stored
        FROM w
    """)


def score_changed(
    con: duckdb.DuckDBPyConnection, model: dict[str, Any], prior: float, s: IdentitySettings
) -> int:
    """Score with Splink only pairs with a representative of a changed cluster: splink_edges.

    id_reps holds every representative (the other side of a pair may be any cluster) and
    inc_changed the changed clusters. Returns the number of kept links.
    """
    con.execute("""
        CREATE OR REPLACE TABLE id_reps AS
        SELECT *, cluster_id IN (SELECT cluster_id FROM inc_changed) AS rescore FROM id_reps
    """)
    linker = fs.make_linker(
        con, {**model, "probability_two_random_records_match": prior}, only="l.rescore OR r.rescore"
    )
    return fs.score_edges(con, linker, s)


def reused_links_sql(scope: str) -> str:
    """Shifted stored links that touch `scope`, as all_edges rows, before the guard: a link the last
    guard cut is a candidate again ('kept'), the guard decides anew on this run's component."""
    return f"""
        SELECT a, b, 'splink' AS rule, 0 AS tier, round(match_weight, {WEIGHT_DECIMALS}) AS score,
               match_weight, match_probability, details,
               CASE WHEN status = 'cut_conflict' THEN 'kept' ELSE status END AS status
        FROM inc_shifted
        WHERE stored AND NOT flip AND (a IN (SELECT rid FROM {scope}) OR b IN (SELECT rid FROM {scope}))
    """
