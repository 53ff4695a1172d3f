"""DDL of the identity tables and the single transaction that publishes a run."""

from __future__ import annotations

import duckdb

from pipelines.identity.keys import format_key_sql
from pipelines.identity.state import state_statements

DDL = """
CREATE SCHEMA IF NOT EXISTS {db}.core;
CREATE SCHEMA IF NOT EXISTS {db}.audit;
-- core.customer_identity_map is replaced each run (CREATE OR REPLACE ... AS): one row per input
-- record (source_system, source_record_id, customer_key, match_probability, matched_by, key_since:
-- when the record got its current key, which incremental facts use to re-key only moved records). It is also
-- the persistent record -> key state the next run maps its clusters onto; every change of a record's
-- key is appended to audit.identity_key_history.
CREATE TABLE IF NOT EXISTS {db}.core.identity_keys (
    customer_key VARCHAR PRIMARY KEY, key_seq BIGINT NOT NULL, status VARCHAR NOT NULL,  -- active|retired
    created_run_id VARCHAR NOT NULL, retired_run_id VARCHAR, merged_into VARCHAR
);
-- Every pairwise link with its evidence; status kept | cut_conflict | household_gate | below_threshold.
CREATE TABLE IF NOT EXISTS {db}.core.identity_edges (
    source_system_a VARCHAR, source_record_id_a VARCHAR, source_system_b VARCHAR,
    source_record_id_b VARCHAR, rule VARCHAR, match_weight DOUBLE, match_probability DOUBLE,
    status VARCHAR, details JSON, run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS {db}.core.identity_model (run_id VARCHAR, trained_at TIMESTAMPTZ, model JSON);
CREATE TABLE IF NOT EXISTS {db}.audit.identity_key_history (
    run_id VARCHAR, source_system VARCHAR, source_record_id VARCHAR, customer_key VARCHAR,
    previous_key VARCHAR, changed_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS {db}.audit.identity_changes (
    run_id VARCHAR, change_type VARCHAR, customer_key VARCHAR, other_key VARCHAR, reason VARCHAR,
    records_affected BIGINT, changed_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS {db}.audit.identity_runs (run_id VARCHAR, finished_at TIMESTAMPTZ, summary JSON);
"""


def history_statements(db: str, run_id: str) -> list[tuple[str, list]]:
    """Key history, changes and the key registry, from km_rec, km_changes and km_new (keys.py)."""
    return [
        (
            f"""INSERT INTO {db}.audit.identity_key_history
        SELECT ?, r.source_system, r.source_record_id, k.customer_key, k.old_key, now()
        FROM km_rec k JOIN rec r USING (rid) WHERE k.old_key IS DISTINCT FROM k.customer_key""",
            [run_id],
        ),
        (
            f"""INSERT INTO {db}.audit.identity_changes
        SELECT ?, change_type, customer_key, other_key, reason, records_affected, now() FROM km_changes""",
            [run_id],
        ),
        (
            f"""INSERT INTO {db}.core.identity_keys
        SELECT {format_key_sql("n.key_seq")}, n.key_seq, 'active', ?, NULL, NULL FROM km_new n""",
            [run_id],
        ),
        (
            f"""UPDATE {db}.core.identity_keys k SET status = 'retired', retired_run_id = ?,
            merged_into = c.into_key
        FROM (SELECT other_key AS key, arg_max(customer_key, records_affected) AS into_key FROM km_changes
              WHERE change_type = 'merge' GROUP BY other_key
              UNION ALL SELECT customer_key, NULL FROM km_changes WHERE change_type = 'retire') c
        WHERE k.customer_key = c.key""",
            [run_id],
        ),
    ]


def run_statements(db: str, run_id: str, model_json: str | None, summary_json: str) -> list[tuple[str, list]]:
    """The model when (re)trained, and the run summary."""
    out: list[tuple[str, list]] = []
    if model_json is not None:
        out.append((f"INSERT INTO {db}.core.identity_model VALUES (?, now(), ?)", [run_id, model_json]))
    out.append((f"INSERT INTO {db}.audit.identity_runs VALUES (?, now(), ?)", [run_id, summary_json]))
    return out


def _statements(db: str, run_id: str, model_json: str | None, summary_json: str) -> list[tuple[str, list]]:
    rec_key = "JOIN rec r USING (rid)"
    out: list[tuple[str, list]] = [(DDL.format(db=db), []), *history_statements(db, run_id)]
    out.append(
        (
            f"""CREATE OR REPLACE TABLE {db}.core.customer_identity_map AS
        SELECT r.source_system, r.source_record_id, k.customer_key,
               CAST(m.match_probability AS DOUBLE) AS match_probability,
               coalesce(m.matched_by, 'singleton') AS matched_by,
               CASE WHEN k.old_key IS NOT DISTINCT FROM k.customer_key AND k.old_key_since IS NOT NULL
                    THEN k.old_key_since ELSE now() END AS key_since
        FROM km_rec k {rec_key} LEFT JOIN record_match m USING (rid)""",
            [],
        )
    )
    out.append(
        (
            f"""CREATE OR REPLACE TABLE {db}.core.identity_edges AS
        SELECT x.source_system AS source_system_a, x.source_record_id AS source_record_id_a,
               y.source_system AS source_system_b, y.source_record_id AS source_record_id_b,
               e.rule, e.match_weight, e.match_probability, e.status, e.details::JSON AS details,
               ? AS run_id
        FROM all_edges e JOIN rec x ON x.rid = e.a JOIN rec y ON y.rid = e.b""",
            [run_id],
        )
    )
    # the state the next (incremental) run starts from
    out.extend((sql, []) for sql in state_statements(db))
    return out + run_statements(db, run_id, model_json, summary_json)


def publish(
    con: duckdb.DuckDBPyConnection, db: str, run_id: str, model_json: str | None, summary_json: str
) -> None:
    """Write every output table in one transaction: readers see the old run or the new one, never half."""
    run_in_transaction(con, _statements(db, run_id, model_json, summary_json))


def run_in_transaction(con: duckdb.DuckDBPyConnection, statements: list[tuple[str, list]]) -> None:
    """Each (sql, params) in order, in one transaction: all of them or none."""
    con.execute("BEGIN TRANSACTION")
    try:
        for sql, params in statements:
            if params:
                con.execute(sql, params)
            else:
                con.execute(sql)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
