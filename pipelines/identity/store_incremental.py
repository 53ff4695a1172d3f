"""Publishing an incremental run: replace the rows of the re-resolved regions, shift the stored links
elsewhere to the new prior; one transaction, like a full run (store.py)."""

from __future__ import annotations

import duckdb

from pipelines.identity.rescore import WEIGHT_DECIMALS
from pipelines.identity.state import RECORDS, REPS
from pipelines.identity.store import DDL, history_statements, run_in_transaction, run_statements

_KEY = "source_system || chr(31) || source_record_id"


def _map_statements(db: str, shift: float) -> list[tuple[str, list]]:
    """Map rows of the old regions out, the scope's rows in; outside, a record matched by Splink
    alone gets the probability of its strongest link under the new prior (keys do not move)."""
    out: list[tuple[str, list]] = [
        (f"DELETE FROM {db}.core.customer_identity_map WHERE {_KEY} IN (SELECT k FROM inc_old_keys)", []),
        (
            f"""INSERT INTO {db}.core.customer_identity_map
        SELECT r.source_system, r.source_record_id, k.customer_key,
               CAST(m.match_probability AS DOUBLE), coalesce(m.matched_by, 'singleton'),
               CASE WHEN k.old_key IS NOT DISTINCT FROM k.customer_key AND k.old_key_since IS NOT NULL
                    THEN k.old_key_since ELSE now() END
        FROM km_rec k JOIN rec r USING (rid) LEFT JOIN record_match m USING (rid)""",
            [],
        ),
    ]
    if shift:
        out.append(
            (
                f"""UPDATE {db}.core.customer_identity_map m SET match_probability = u.p
        FROM (SELECT r.source_system, r.source_record_id, max(f.p) AS p
              FROM (SELECT a AS rid, match_probability AS p FROM inc_shifted WHERE status = 'kept'
                    UNION ALL SELECT b, match_probability FROM inc_shifted WHERE status = 'kept') f
              JOIN rec r USING (rid) WHERE r.rid NOT IN (SELECT rid FROM inc_scope) GROUP BY ALL) u
        WHERE m.matched_by = 'splink' AND m.source_system = u.source_system
          AND m.source_record_id = u.source_record_id""",
                [],
            )
        )
    return out


def _edge_statements(db: str, run_id: str, shift: float, review: float) -> list[tuple[str, list]]:
    """Edges touching the old regions out; the Splink links left (between untouched clusters)
    shifted to the new prior, dropped below the review threshold; the scope's edges in."""
    edges = f"{db}.core.identity_edges"
    out: list[tuple[str, list]] = [
        (
            f"""DELETE FROM {edges} WHERE source_system_a || chr(31) || source_record_id_a IN
            (SELECT k FROM inc_old_keys) OR source_system_b || chr(31) || source_record_id_b IN
            (SELECT k FROM inc_old_keys)""",
            [],
        )
    ]
    if shift:
        out.append(
            (
                f"""UPDATE {edges} SET match_weight = match_weight + ?,
                match_probability = 1.0 / (1.0 + pow(2.0, -(match_weight + ?))) WHERE rule = 'splink'""",
                [shift, shift],
            )
        )
        out.append((f"DELETE FROM {edges} WHERE rule = 'splink' AND match_probability < ?", [review]))
    out.append(
        (
            f"""INSERT INTO {edges}
        SELECT x.source_system, x.source_record_id, y.source_system, y.source_record_id,
               e.rule, e.match_weight, e.match_probability, e.status, e.details::JSON, ?
        FROM all_edges e JOIN rec x ON x.rid = e.a JOIN rec y ON y.rid = e.b""",
            [run_id],
        )
    )
    return out


def _state_statements(db: str) -> list[tuple[str, list]]:
    """The scope's records and representatives replace those of the old regions, with new regions."""
    return [
        (f"DELETE FROM {db}.{RECORDS} WHERE rid IN (SELECT rid FROM inc_old)", []),
        (
            f"""INSERT INTO {db}.{RECORDS} SELECT r.*, coalesce(g.lbl, r.rid)
        FROM rec r SEMI JOIN inc_scope USING (rid) LEFT JOIN regions g ON g.node = r.rid""",
            [],
        ),
        (f"DELETE FROM {db}.{REPS} WHERE region IN (SELECT region FROM inc_regions)", []),
        (
            f"""INSERT INTO {db}.{REPS} BY NAME
        SELECT p.* EXCLUDE (scoped, rescore), coalesce(g.lbl, p.anchor_rid) AS region
        FROM id_reps p LEFT JOIN regions g ON g.node = p.anchor_rid WHERE p.scoped""",
            [],
        ),
    ]


def publish_incremental(
    con: duckdb.DuckDBPyConnection,
    db: str,
    run_id: str,
    summary_json: str,
    shift: float,
    review_threshold: float,
) -> None:
    """Write the re-resolved part of every output table in one transaction; after a run that found
    nothing new, only its summary."""
    if "nothing_new" in summary_json and '"nothing_new": true' in summary_json:
        statements = [(DDL.format(db=db), []), *run_statements(db, run_id, None, summary_json)]
        run_in_transaction(con, statements)
        return
    shift = round(shift, 15) if abs(shift) > 10**-WEIGHT_DECIMALS / 10 else 0.0
    con.execute(f"CREATE OR REPLACE TABLE inc_old_keys AS SELECT {_KEY} AS k FROM inc_old")
    statements = [
        (DDL.format(db=db), []),
        *history_statements(db, run_id),
        *_map_statements(db, shift),
        *_edge_statements(db, run_id, shift, review_threshold),
        *_state_statements(db),
        *run_statements(db, run_id, None, summary_json),
    ]
    run_in_transaction(con, statements)
