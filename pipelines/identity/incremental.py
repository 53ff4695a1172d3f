"""The incremental identity path: resolve again only the regions that new and changed records reach.

A region (state.py) is a connected component of every rule edge and every Splink link that passed
threshold and gate. A full resolution decides each region from its own records, given three
things shared by all: the value groups of identifiers, the Splink blocking-key sizes and the
prior. So a run resolves the stored regions of new, changed and removed records and of records
in a value group that gained or lost one (inc_scope), with the group sizes and the prior computed
over every record, and widens the scope, round by round, to any region that the new evidence
links to (a Splink link to an untouched cluster), whose blocking keys changed size class, or whose
stored link crossed the match threshold under the new prior. What it decides inside the scope is
what a full resolution decides; outside, nothing changed. Splink scores only pairs with a
representative of a changed cluster; stored links between unchanged clusters are reused
(rescore.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

from pipelines.identity import rescore
from pipelines.identity.graph import connected_components, guard_conflicts, record_match_sql
from pipelines.identity.keys import assign_keys, build_changes
from pipelines.identity.representatives import BLOCK_KEYS, add_block_keys_delta, build_representatives
from pipelines.identity.rules import build_rule_edges
from pipelines.identity.settings import IdentitySettings
from pipelines.identity.state import (
    REGION_EDGES,
    REPS,
    STATE_VERSION,
    build_scope,
    find_delta,
    seed_regions,
    settings_fingerprint,
)

# A round starts again with a wider scope when a changed blocking key or a threshold-crossing
# stored link reaches outside it (rare; regions reached by new links are absorbed, _absorb).
MAX_ROUNDS = 6
SCOPE = "inc_scope"


def _rep_columns(con: duckdb.DuckDBPyConnection, stored: str) -> str:
    cols = [d[0] for d in con.execute(f"SELECT * FROM {stored} LIMIT 0").description if d[0] != "region"]
    return ", ".join(f'"{c}"' for c in cols)


def _scope_reps(con: duckdb.DuckDBPyConnection, s: IdentitySettings, stored: str) -> list[Any]:
    """Rules, guard and representatives of the scope; id_reps = those + the stored ones outside it,
    blocking keys over all. Creates inc_changed(cluster_id); returns regions to add (stored
    representatives outside whose blocking keys changed)."""
    build_rule_edges(con, s, SCOPE)
    connected_components(con, "rule_edges", "det_labels")
    guard_conflicts(con, "rule_edges", "det_labels")
    build_representatives(con, "det_labels", s, SCOPE)
    base = _rep_columns(con, "id_reps")
    prev_keys = ", ".join(f"{k} AS prev_{k}" for k in BLOCK_KEYS)
    inside = "region IN (SELECT region FROM inc_regions)"
    con.execute(f"""
        CREATE OR REPLACE TABLE id_reps AS
        SELECT *, true AS scoped FROM id_reps
        UNION ALL BY NAME
        SELECT {base}, {prev_keys}, region AS prev_region, false AS scoped FROM {stored} WHERE NOT {inside}
    """)
    reached = add_block_keys_delta(con, s, f"{stored} WHERE {inside}")
    cols = _rep_columns(con, stored)
    old_in = f"SELECT {cols} FROM {stored} WHERE {inside}"
    con.execute(f"""
        CREATE OR REPLACE TABLE inc_changed AS
        SELECT cluster_id FROM (SELECT {cols} FROM id_reps WHERE scoped EXCEPT {old_in})
        UNION SELECT cluster_id FROM ({old_in} EXCEPT SELECT {cols} FROM id_reps WHERE scoped)
    """)
    return reached


def _flips(con: duckdb.DuckDBPyConnection, prev: str) -> list[Any]:
    """Stored links whose side of the threshold moved: clusters in scope are scored again
    (inc_changed), regions outside are returned to join the scope."""
    con.execute(f"""
        INSERT INTO inc_changed
        SELECT r.cluster_id FROM (
            SELECT unnest([a, b]) AS unique_id FROM inc_shifted
            WHERE flip AND a IN (SELECT rid FROM {SCOPE}) AND b IN (SELECT rid FROM {SCOPE})
        ) f JOIN id_reps r USING (unique_id)
    """)
    return _regions_of(con, prev, "SELECT a, b FROM inc_shifted WHERE flip")


def _regions_of(con: duckdb.DuckDBPyConnection, prev: str, pairs: str) -> list[Any]:
    """Stored regions of the endpoints of `pairs(a, b)` that lie outside the scope."""
    return [
        r[0]
        for r in con.execute(f"""
            SELECT DISTINCT p.region FROM (SELECT unnest([a, b]) AS rid FROM ({pairs})) e
            JOIN {prev} p USING (rid) WHERE p.rid NOT IN (SELECT rid FROM {SCOPE})
        """).fetchall()
    ]


def _grow(con: duckdb.DuckDBPyConnection, regions: list[Any]) -> bool:
    if not regions:
        return False
    con.execute(
        "INSERT INTO inc_regions SELECT unnest(?::UBIGINT[]) EXCEPT SELECT region FROM inc_regions", [regions]
    )
    return True


def _no_links(con: duckdb.DuckDBPyConnection) -> None:
    """The Splink tables of a rules-only run: empty."""
    con.execute("""
        CREATE OR REPLACE TABLE splink_edges AS SELECT * FROM rule_edges LIMIT 0;
        CREATE OR REPLACE TABLE inc_shifted (a UBIGINT, b UBIGINT, match_weight DOUBLE,
            match_probability DOUBLE, details VARCHAR, status VARCHAR, flip BOOLEAN, stored BOOLEAN);
        ALTER TABLE id_reps ADD COLUMN rescore BOOLEAN DEFAULT false;
    """)


def _absorb(
    con: duckdb.DuckDBPyConnection, s: IdentitySettings, prev: str, stored: str, regions: list[Any]
) -> int:
    """Take untouched regions that a new link reaches into the scope without another round.

    Nothing in them changed (their blocking keys were checked, their stored links shifted), so
    their representatives are the stored ones and only their rule edges, with the first guard's
    verdicts, are needed for the final clustering: regions share no rule edge, so those are
    built on the absorbed records alone and added. Returns the scope's size.
    """
    con.execute(
        "CREATE OR REPLACE TABLE inc_more_regions AS SELECT unnest(?::UBIGINT[]) AS region", [regions]
    )
    con.execute(f"""
        INSERT INTO inc_regions SELECT region FROM inc_more_regions;
        CREATE OR REPLACE TABLE inc_more AS SELECT rid FROM {prev} SEMI JOIN inc_more_regions USING (region);
        INSERT INTO inc_old
        SELECT rid, source_system, source_record_id FROM {prev} SEMI JOIN inc_more USING (rid);
        INSERT INTO {SCOPE} SELECT rid FROM inc_more SEMI JOIN rec USING (rid);
        UPDATE id_reps SET scoped = true
        WHERE unique_id IN (SELECT unique_id FROM {stored} SEMI JOIN inc_more_regions USING (region));
        ALTER TABLE rule_edges RENAME TO rule_edges_scope;
    """)
    build_rule_edges(con, s, "inc_more")
    connected_components(con, "rule_edges", "det_more")
    guard_conflicts(con, "rule_edges", "det_more")
    con.execute("""
        INSERT INTO rule_edges_scope SELECT * FROM rule_edges;
        DROP TABLE rule_edges; DROP TABLE det_more;
        ALTER TABLE rule_edges_scope RENAME TO rule_edges;
    """)
    return con.execute(f"SELECT count(*) FROM {SCOPE}").fetchone()[0]


def _score_scope(
    con: duckdb.DuckDBPyConnection,
    db: str,
    s: IdentitySettings,
    model: dict[str, Any] | None,
    prior_before: float | None,
) -> dict[str, Any] | str:
    """Rounds of scope, representatives, shifted links and scoring until nothing outside is reached.
    Returns facts for the summary, or why a full resolution must run instead."""
    prev, stored = f"{db}.core.identity_records", f"{db}.{REPS}"
    rescore.load_stored_links(con, db, prev)
    shift = None
    for rounds in range(1, MAX_ROUNDS + 1):
        n_scope = build_scope(con, prev)
        reached = _scope_reps(con, s, stored)
        if model is None or prior_before is None:  # rules only: blocking keys and links do not matter
            _no_links(con)
            return {"scope_records": n_scope, "rounds": rounds, "changed_clusters": 0}
        if _grow(con, reached):
            continue
        if shift is None:  # every representative is in id_reps: the prior is a full run's
            prior = rescore.estimate_prior(con, model)
            shift = rescore.log_odds(prior) - rescore.log_odds(prior_before)
            if shift >= rescore.max_prior_shift(s):
                return f"prior rose {2**shift:.1f}x: unstored pairs could reach the threshold"
        rescore.shift_links(con, shift, s)
        if _grow(con, _flips(con, prev)):
            continue
        n_changed = con.execute("SELECT count(DISTINCT cluster_id) FROM inc_changed").fetchone()[0]
        rescore.score_changed(con, model, prior, s)
        kept = "SELECT a, b FROM splink_edges WHERE status = 'kept'"
        while reached := _regions_of(con, prev, kept):
            n_scope = _absorb(con, s, prev, stored, reached)
        return {"scope_records": n_scope, "rounds": rounds, "changed_clusters": n_changed,
                "splink_prior": prior, "prior_shift_log2": shift}  # fmt: skip
    return f"the affected regions still grew after {MAX_ROUNDS} rounds"


def _cluster_scope(con: duckdb.DuckDBPyConnection) -> int:
    """all_edges of the scope (rules, new links, shifted links); final components, guard, regions."""
    con.execute(f"""
        CREATE OR REPLACE TABLE all_edges AS
        SELECT a, b, rule, tier, score, NULL::DOUBLE AS match_weight, 1.0::DOUBLE AS match_probability,
               NULL::VARCHAR AS details, status FROM rule_edges
        UNION ALL BY NAME SELECT * FROM splink_edges
        UNION ALL BY NAME {rescore.reused_links_sql(SCOPE)}
    """)
    connected_components(con, "(SELECT a, b FROM all_edges WHERE status = 'kept')", "final_cc")
    cut = (
        guard_conflicts(con, "all_edges", "final_cc")
        + con.execute("SELECT count(*) FROM rule_edges WHERE status = 'cut_conflict'").fetchone()[0]
    )
    con.execute(f"""
        CREATE OR REPLACE TABLE final_labels AS
        SELECT r.rid, coalesce(f.lbl, r.rid) AS comp FROM {SCOPE} r LEFT JOIN final_cc f ON f.node = r.rid
    """)
    con.execute(record_match_sql())
    connected_components(con, REGION_EDGES, "regions")
    return cut


def resolve_incremental(
    con: duckdb.DuckDBPyConnection,
    db: str,
    s: IdentitySettings,
    model: dict[str, Any] | None,
    prior_before: float | None,
    lap: Callable[[str], None],
) -> dict[str, Any] | str:
    """Resolve the affected part into km_rec/km_changes (keys.py) and the inc_* tables store_incremental
    publishes. Returns facts for the run summary, or a reason to resolve in full instead."""
    prev = f"{db}.core.identity_records"
    n_new, n_gone = find_delta(con, prev)
    (n_records,) = con.execute("SELECT count(*) FROM rec").fetchone()
    share = (n_new + n_gone) / max(n_records, 1)
    facts: dict[str, Any] = {"new_or_changed": n_new, "gone_or_changed": n_gone}
    if share > s.incremental_max_changed_share:
        limit = s.incremental_max_changed_share
        return f"{share:.1%} of the records new, changed or gone (more than {limit:.0%})"
    if n_new == n_gone == 0:
        return {**facts, "nothing_new": True, "scope_records": 0, "splink_prior": prior_before}
    seed_regions(con, prev, s)
    lap("delta")
    outcome = _score_scope(con, db, s, model, prior_before)
    if isinstance(outcome, str):
        return outcome
    lap("splink")
    cut = _cluster_scope(con)
    lap("clustering")
    keys = f"{db}.core.identity_keys"
    assign_keys(con, f"{db}.core.customer_identity_map", keys)
    old_keys = (
        f"SELECT customer_key FROM {db}.core.customer_identity_map "
        "SEMI JOIN inc_old USING (source_system, source_record_id)"
    )
    build_changes(con, keys, retire_among=old_keys)
    lap("keys")
    return {**facts, **outcome, "edges_cut_by_guard": cut}


def incremental_summary(
    con: duckdb.DuckDBPyConnection,
    db: str,
    run_id: str,
    n_records: int,
    s: IdentitySettings,
    facts: dict[str, Any],
    splink: str,
) -> dict[str, Any]:
    """The run summary of an incremental run: customers over the whole map as it will be published."""
    out: dict[str, Any] = {"run_id": run_id, "records": n_records, "path": "incremental"}
    if facts.get("nothing_new"):
        (customers,) = con.execute(
            f"SELECT count(DISTINCT customer_key) FROM {db}.core.customer_identity_map"
        ).fetchone()
        out.update(customers=customers, new_keys=0, changes={})
    else:
        (customers,) = con.execute(f"""
            SELECT count(DISTINCT k) FROM (
                SELECT customer_key AS k FROM {db}.core.customer_identity_map m
                ANTI JOIN inc_old o USING (source_system, source_record_id)
                UNION ALL SELECT customer_key FROM km_rec)
        """).fetchone()
        changes = dict(con.execute("SELECT change_type, count(*) FROM km_changes GROUP BY ALL").fetchall())
        (n_new,) = con.execute("SELECT count(*) FROM km_new").fetchone()
        out.update(customers=customers, new_keys=n_new, changes=changes)
    out.update(facts, splink=splink, match_threshold=s.match_threshold)
    out["path_reason"] = "new and changed records only" + (
        "" if facts.get("splink_prior") else " (rules only)"
    )
    out.update(state_version=STATE_VERSION, settings=settings_fingerprint(s))
    return out
