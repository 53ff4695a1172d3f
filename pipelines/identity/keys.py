"""Stable customer keys: map this run's clusters onto last run's keys by majority overlap."""

from __future__ import annotations

import duckdb
import pyarrow as pa

KEY_DIGITS = 10  # 'C' + 10 digits: room for 10^10 keys, and keys sort in creation order as text


def format_key_sql(seq: str) -> str:
    return f"'C' || lpad(CAST({seq} AS VARCHAR), {KEY_DIGITS}, '0')"


def greedy_assign(rows: list[tuple[int, str, int, int]]) -> dict[int, str]:
    """rows: (comp, old_key, overlap, key_seq). Largest overlap first, ties to the older key.

    A component takes at most one old key and an old key goes to at most one component: on a
    merge the key with most records (then the older) survives; on a split the largest part keeps
    the key and the other parts get new keys.
    """
    taken_comp: dict[int, str] = {}
    taken_key: set[str] = set()
    for comp, key, _, _ in sorted(rows, key=lambda r: (-r[2], r[3], r[0])):
        if comp not in taken_comp and key not in taken_key:
            taken_comp[comp] = key
            taken_key.add(key)
    return taken_comp


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    """Whether `table` ("db".schema.name) has `column`."""
    return column in [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]


def assign_keys(con: duckdb.DuckDBPyConnection, prev_clusters: str | None, prev_keys: str | None) -> int:
    """Create km_rec(rid, comp, old_key, old_key_since, customer_key, is_new_key); return the number
    of new keys.

    prev_clusters is last run's core.customer_identity_map and prev_keys core.identity_keys (None on
    the first run). Uncontested components (one old key, which no other component claims) are assigned
    in SQL; the contested rest (merges and splits, usually < 0.1%) in Python.
    """
    old, old_cols = "", "NULL::VARCHAR AS old_key, NULL::TIMESTAMPTZ AS old_key_since"
    if prev_clusters:
        old = f"LEFT JOIN {prev_clusters} p USING (source_system, source_record_id)"
        # A map written before key_since existed: every record counts as changed once.
        since = "p.key_since" if _has_column(con, prev_clusters, "key_since") else "NULL::TIMESTAMPTZ"
        old_cols = f"p.customer_key AS old_key, {since} AS old_key_since"
    con.execute(f"""
        CREATE OR REPLACE TABLE km_rec AS
        SELECT f.rid, f.comp, {old_cols}
        FROM final_labels f JOIN rec r USING (rid) {old}
    """)
    seq = f"LEFT JOIN {prev_keys} k ON k.customer_key = o.old_key" if prev_keys else ""
    con.execute(f"""
        CREATE OR REPLACE TABLE km_overlap AS
        SELECT o.comp, o.old_key, count(*) AS n, {"min(k.key_seq)" if prev_keys else "0"} AS key_seq
        FROM km_rec o {seq} WHERE o.old_key IS NOT NULL GROUP BY o.comp, o.old_key;
        CREATE OR REPLACE TABLE km_assign AS
        WITH c AS (SELECT comp FROM km_overlap GROUP BY comp HAVING count(*) = 1),
             k AS (SELECT old_key FROM km_overlap GROUP BY old_key HAVING count(*) = 1)
        SELECT o.comp, o.old_key AS customer_key FROM km_overlap o SEMI JOIN c USING (comp)
        SEMI JOIN k USING (old_key);
    """)
    contested = con.execute("""
        SELECT comp, old_key, n, key_seq FROM km_overlap o ANTI JOIN km_assign a USING (comp)
    """).fetchall()
    if contested:
        won = greedy_assign(contested)
        con.register(
            "km_won", pa.table({"comp": pa.array(list(won), pa.uint64()), "customer_key": list(won.values())})
        )
        con.execute("INSERT INTO km_assign SELECT comp, customer_key FROM km_won")
        con.unregister("km_won")
    # Never reuse a number: the highest issued key, from the key registry and from the old map.
    seqs = ["SELECT 0 AS s"]
    if prev_keys:
        seqs.append(f"SELECT max(key_seq) FROM {prev_keys}")
    if prev_clusters:
        seqs.append(f"SELECT max(TRY_CAST(substr(customer_key, 2) AS BIGINT)) FROM {prev_clusters}")
    max_seq = con.execute(f"SELECT max(s) FROM ({' UNION ALL '.join(seqs)})").fetchone()[0]
    # New keys numbered in order of their component label (a record-id hash): same input, same keys.
    con.execute(f"""
        CREATE OR REPLACE TABLE km_new AS
        SELECT comp, {max_seq} + row_number() OVER (ORDER BY comp) AS key_seq
        FROM (SELECT DISTINCT comp FROM km_rec) ANTI JOIN km_assign USING (comp);
        INSERT INTO km_assign SELECT comp, {format_key_sql("key_seq")} FROM km_new;
        CREATE OR REPLACE TABLE km_rec AS
        SELECT r.*, a.customer_key, a.comp IN (SELECT comp FROM km_new) AS is_new_key
        FROM km_rec r JOIN km_assign a USING (comp);
    """)
    return con.execute("SELECT count(*) FROM km_new").fetchone()[0]


def build_changes(
    con: duckdb.DuckDBPyConnection, prev_keys: str | None, retire_among: str | None = None
) -> None:
    """Create km_changes(change_type, customer_key, other_key, reason, records_affected).

    For every (component, old key) overlap whose component got a different key:
    - merge:    the old key survives nowhere -> retired, its records joined customer_key;
    - split:    the old key survives elsewhere and this part got a new key (other_key);
    - reassign: the old key survives elsewhere and these records moved to another existing key.
    An old key none of whose records is in the input any more is 'retire'. `retire_among` (a query
    of customer_key) limits that to the keys an incremental run re-resolved.
    """
    among = f" AND customer_key IN ({retire_among})" if retire_among else ""
    active = (
        f"SELECT customer_key FROM {prev_keys} WHERE status = 'active'{among}"
        if prev_keys
        else "SELECT NULL::VARCHAR AS customer_key WHERE false"
    )
    con.execute(f"""
        CREATE OR REPLACE TABLE km_changes AS
        WITH comp_key AS (SELECT DISTINCT comp, customer_key, is_new_key FROM km_rec),
        surviving AS (SELECT DISTINCT customer_key FROM km_assign),
        moved AS (
            SELECT o.old_key, c.customer_key, c.is_new_key, o.n,
                   o.old_key IN (SELECT customer_key FROM surviving) AS old_survives
            FROM km_overlap o JOIN comp_key c USING (comp) WHERE c.customer_key <> o.old_key
        )
        SELECT CASE WHEN NOT old_survives THEN 'merge' WHEN is_new_key THEN 'split' ELSE 'reassign' END
                   AS change_type,
               CASE WHEN old_survives AND is_new_key THEN old_key ELSE customer_key END AS customer_key,
               CASE WHEN old_survives AND is_new_key THEN customer_key ELSE old_key END AS other_key,
               CASE WHEN NOT old_survives THEN printf('%d records of %s joined %s; %s retired', n, old_key,
                                                     customer_key, old_key)
                    WHEN is_new_key THEN printf('%d records split from %s into new key %s', n, old_key,
                                                customer_key)
                    ELSE printf('%d records moved from %s to %s', n, old_key, customer_key) END AS reason,
               n AS records_affected
        FROM moved
        UNION ALL
        SELECT 'retire', a.customer_key, NULL, 'no input record carries this key any more', 0
        FROM ({active}) a WHERE a.customer_key NOT IN (SELECT old_key FROM km_overlap)
    """)
