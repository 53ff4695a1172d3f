"""resolve_identities: rules, then Splink on representatives, then guarded clustering and stable keys."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
from splink.internals.exceptions import EMTrainingException

from pipelines.identity import model as fs
from pipelines.identity.graph import connected_components, guard_conflicts, record_match_sql
from pipelines.identity.incremental import incremental_summary, resolve_incremental
from pipelines.identity.keys import assign_keys, build_changes
from pipelines.identity.profile import PROFILE_KEY, population_profile, retrain_reason, split_model
from pipelines.identity.representatives import build_representatives
from pipelines.identity.rules import build_rule_edges, create_macros
from pipelines.identity.settings import IdentitySettings
from pipelines.identity.stage import INPUT_TABLE, stage_records
from pipelines.identity.state import REGION_EDGES, REPS, STATE_VERSION, previous_run, settings_fingerprint
from pipelines.identity.store import publish
from pipelines.identity.store_incremental import publish_incremental
from sources.lib.duck import table_exists

log = logging.getLogger(__name__)
SCRATCH = "identity_work"


@contextmanager
def scratch_catalog(con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    """Work in an attached in-memory catalog; yield the caller's database name; restore it afterwards.

    Working tables and Splink's own __splink__ tables then never touch the warehouse file (no WAL
    churn, nothing left behind after a crash), and DETACH frees them in one go.
    """
    db, schema = con.execute("SELECT current_database(), current_schema()").fetchone()
    con.execute(f"DETACH DATABASE IF EXISTS {SCRATCH}")
    con.execute(f"ATTACH ':memory:' AS {SCRATCH}")
    con.execute(f"USE {SCRATCH}")
    try:
        yield db
    finally:
        con.execute(f'USE "{db}"."{schema}"')
        con.execute(f"DETACH DATABASE {SCRATCH}")


def _stored_model(con: duckdb.DuckDBPyConnection, db: str) -> dict[str, Any] | None:
    if not table_exists(con, "core", "identity_model", database=db):
        return None
    row = con.execute(
        f'SELECT model FROM "{db}".core.identity_model ORDER BY trained_at DESC LIMIT 1'
    ).fetchone()
    return json.loads(row[0]) if row else None


def _probabilistic(
    con: duckdb.DuckDBPyConnection,
    db: str,
    s: IdentitySettings,
    n_records: int,
    n_reps: int,
    predictor: fs.Predictor | None,
) -> tuple[str | None, dict[str, Any]]:
    """Score representatives with Splink into splink_edges.

    Returns the model JSON when (re)trained, else None, and facts for the run summary. A stored
    model is reused (stable links day to day) until this population's profile has moved away from
    the one it was trained on: then m and u are estimated again, on this population.
    """
    profile = population_profile(con)
    stored, why = None, "retrain requested" if s.retrain_model else "no stored model"
    if not s.retrain_model and (previous := _stored_model(con, db)) is not None:
        settings, stored_profile = split_model(previous)
        why = retrain_reason(stored_profile, profile, s.retrain_growth, s.retrain_completeness_shift)
        stored = None if why else settings

    def skip(reason: str) -> tuple[None, dict[str, Any]]:
        log.warning(
            "identity: %d records, %d representatives: Splink skipped (%s), rules only",
            n_records,
            n_reps,
            reason,
        )
        con.execute("CREATE OR REPLACE TABLE splink_edges AS SELECT * FROM rule_edges LIMIT 0")
        return None, {"splink": f"skipped: {reason}"}

    if n_reps < 2 or (stored is None and n_records < s.min_records_to_train):
        return skip("too few records to train")
    try:
        model = stored or fs.train(con, s)
    except EMTrainingException as exc:
        # A small or young population can leave a training blocking rule with no pairs at all;
        # linking by the deterministic rules alone is then better than failing the run.
        return skip(f"EM training found no pairs: {str(exc).splitlines()[0]}")
    linker = fs.make_linker(con, model)
    prior = fs.estimate_prior(linker)
    fs.score_edges(con, linker, s, predictor)
    info = {
        "splink": f"trained ({why})" if stored is None else "stored model",
        "splink_engine": "duckdb" if predictor is None else "spark",
        "splink_prior": prior,
        "population_profile": profile,
    }
    return (json.dumps({**model, PROFILE_KEY: profile}) if stored is None else None), info


RULES_ONLY = "skipped: too few records to train"


def _incremental_plan(
    con: duckdb.DuckDBPyConnection, db: str, s: IdentitySettings, n_records: int
) -> tuple[str | None, dict[str, Any] | None, float | None]:
    """(why a full resolution must run, or None; the stored model; the last run's prior). Without a
    model (rules only) the run stays incremental while a full run would not train one either."""
    prev = previous_run(con, db)
    if not s.incremental:
        return "incremental runs switched off", None, None
    if s.retrain_model:
        return "retraining requested", None, None
    if prev is None:
        return "no previous run", None, None
    if prev.get("state_version") != STATE_VERSION or not table_exists(con, *REPS.split("."), database=db):
        return "no incremental state from the previous run", None, None
    if prev.get("settings") != settings_fingerprint(s):
        return "identity settings changed", None, None
    stored = _stored_model(con, db)
    if stored is None and prev.get("splink") == RULES_ONLY and n_records < s.min_records_to_train:
        return None, None, None
    if prev.get("splink_prior") is None or stored is None:
        return "no Splink model to score new records with", None, None
    model, stored_profile = split_model(stored)
    profile = population_profile(con)
    why = retrain_reason(stored_profile, profile, s.retrain_growth, s.retrain_completeness_shift)
    if why:
        return f"model to be retrained: {why}", None, None
    return None, model, float(prev["splink_prior"])


def resolve_identities(
    con: duckdb.DuckDBPyConnection,
    settings: IdentitySettings | None = None,
    run_id: str | None = None,
    source: str = INPUT_TABLE,
    predictor: fs.Predictor | None = None,
) -> dict[str, Any]:
    """Resolve intermediate.int_contact_records into stable customer keys; return a run summary.

    Writes core.customer_identity_map, core.identity_edges, core.identity_keys, core.identity_model,
    audit.identity_key_history, audit.identity_changes and audit.identity_runs in one transaction
    on `con`. The previous run's map is the record -> key state that new clusters are mapped onto.
    `source` is schema.table in the connection's current database (or catalog.schema.table).
    With a previous run's state, only what new and changed records reach is resolved again
    (incremental.py); the summary's `path` and `path_reason` say which path ran and why.
    `predictor` runs a full resolution's Splink prediction on another engine (model.Predictor).
    """
    s = settings or IdentitySettings()
    run_id = run_id or uuid.uuid4().hex
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = round(now - t, 3)
        t = now

    with scratch_catalog(con) as db:
        src = source if "." not in source or source.count(".") > 1 else f'"{db}".{source}'
        n_records = stage_records(con, src)
        create_macros(con)
        lap("stage")
        why, model, prior = _incremental_plan(con, db, s, n_records)
        if why is None:
            outcome = resolve_incremental(con, f'"{db}"', s, model, prior, lap)
            if isinstance(outcome, dict):
                splink = "stored model" if model else RULES_ONLY
                summary = incremental_summary(con, f'"{db}"', run_id, n_records, s, outcome, splink)
                summary["timings_s"] = timings
                shift = outcome.get("prior_shift_log2", 0.0)
                publish_incremental(con, f'"{db}"', run_id, json.dumps(summary), shift, s.review_threshold)
                lap("publish")
                summary["timings_s"] = timings
                log.info("identity run %s (incremental): %s", run_id, summary)
                return summary
            why = outcome
        summary = _resolve_full(con, db, s, run_id, n_records, lap, predictor)
        summary.update(path="full", path_reason=why)
        summary["timings_s"] = timings
        publish(con, f'"{db}"', run_id, summary.pop("_model_json"), json.dumps(summary))
        lap("publish")
    summary["timings_s"] = timings
    log.info("identity run %s: %s", run_id, summary)
    return summary


def _resolve_full(
    con: duckdb.DuckDBPyConnection,
    db: str,
    s: IdentitySettings,
    run_id: str,
    n_records: int,
    lap: Callable[[str], None],
    predictor: fs.Predictor | None = None,
) -> dict[str, Any]:
    """Every record: rules, representatives, Splink, guarded clustering, keys (scratch tables)."""
    n_rule_edges = build_rule_edges(con, s)
    connected_components(con, "rule_edges", "det_labels")
    cut_rules = guard_conflicts(con, "rule_edges", "det_labels")
    lap("rules")
    n_reps = build_representatives(con, "det_labels", s)
    lap("representatives")
    model_json, splink_info = _probabilistic(con, db, s, n_records, n_reps, predictor)
    lap("splink")
    con.execute("""
        CREATE OR REPLACE TABLE all_edges AS
        SELECT a, b, rule, tier, score, NULL::DOUBLE AS match_weight, 1.0::DOUBLE AS match_probability,
               NULL::VARCHAR AS details, status FROM rule_edges
        UNION ALL BY NAME SELECT * FROM splink_edges
    """)
    # all_edges supersedes both; at 1M customers rule_edges alone is 22M rows of DuckDB memory.
    con.execute("DROP TABLE rule_edges; DROP TABLE splink_edges; DROP TABLE det_labels")
    connected_components(con, "(SELECT a, b FROM all_edges WHERE status = 'kept')", "final_cc")
    cut_final = guard_conflicts(con, "all_edges", "final_cc")
    con.execute("""
        CREATE OR REPLACE TABLE final_labels AS
        SELECT r.rid, coalesce(f.lbl, r.rid) AS comp FROM rec r LEFT JOIN final_cc f ON f.node = r.rid
    """)
    con.execute(record_match_sql())
    # Regions (state.py): what an incremental run re-resolves together.
    connected_components(con, REGION_EDGES, "regions")
    lap("clustering")
    prev_map = f'"{db}".core.customer_identity_map'
    has_prev = table_exists(con, "core", "customer_identity_map", database=db)
    has_keys = table_exists(con, "core", "identity_keys", database=db)
    keys = f'"{db}".core.identity_keys' if has_keys else None
    n_new = assign_keys(con, prev_map if has_prev else None, keys)
    build_changes(con, keys)
    summary = _summary(con, run_id, n_records, n_rule_edges, n_reps, cut_rules + cut_final, n_new)
    summary.update(splink_info, match_threshold=s.match_threshold)
    summary.update(state_version=STATE_VERSION, settings=settings_fingerprint(s), _model_json=model_json)
    lap("keys")
    return summary


def _summary(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    n_records: int,
    n_rule_edges: int,
    n_reps: int,
    n_cut: int,
    n_new: int,
) -> dict[str, Any]:
    (customers,) = con.execute("SELECT count(DISTINCT customer_key) FROM km_rec").fetchone()
    (splink_links,) = con.execute(
        "SELECT count(*) FROM all_edges WHERE status = 'kept' AND rule = 'splink'"
    ).fetchone()
    changes = dict(con.execute("SELECT change_type, count(*) FROM km_changes GROUP BY ALL").fetchall())
    matched = dict(
        con.execute(
            "SELECT coalesce(m.matched_by, 'singleton'), count(*) FROM rec "
            "LEFT JOIN record_match m USING (rid) GROUP BY ALL"
        ).fetchall()
    )
    return {
        "run_id": run_id,
        "records": n_records,
        "customers": customers,
        "rule_edges": n_rule_edges,
        "representatives": n_reps,
        "splink_links": splink_links,
        "edges_cut_by_guard": n_cut,
        "new_keys": n_new,
        "changes": changes,
        "matched_by": matched,
    }
