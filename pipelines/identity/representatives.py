"""Representatives: a few summary rows per deterministic cluster, the only rows Splink ever sees."""

from __future__ import annotations

from typing import Any

import duckdb

from pipelines.identity.settings import IdentitySettings

# Blocking keys for Splink, each NULL when its value is shared by more than max_block_size
# representatives: a block of n costs n(n-1)/2 comparisons, and a placeholder dob (1900-01-01), a
# switchboard phone or "John Smith" in a 5M-record feed would otherwise cost millions.
BLOCK_KEYS: dict[str, str] = {
    "bk_postcode": "postcode || '|' || substr(ln, 1, 1)",  # same postcode, same surname initial
    "bk_dob_ln": "CAST(dob AS VARCHAR) || '|' || substr(ln, 1, 1)",
    "bk_dob_fn": "CAST(dob AS VARCHAR) || '|' || fn_canon",  # catches a changed surname
    "bk_email": "email_user",  # same mailbox name at another provider
    "bk_phone": "phone",
    # movers without dob, in either order of the names (first and last name swapped); capped, so
    # common names skip it
    "bk_name": "least(fn_canon, ln) || '|' || greatest(fn_canon, ln)",
    "bk_dob_postcode": "CAST(dob AS VARCHAR) || '|' || postcode",  # both names mistyped or swapped
    # surname and street without the house number: a mistyped postcode, dob and house number
    "bk_ln_street": "ln || '|' || nullif(ltrim(address_line1, '0123456789/- '), '')",
    # the dob with both initials in either order: swapped names at a mistyped postcode
    "bk_dob_initials": "CAST(dob AS VARCHAR) || '|' || least(substr(fn, 1, 1), substr(ln, 1, 1)) "
    "|| greatest(substr(fn, 1, 1), substr(ln, 1, 1))",
}

# Person-level attributes take the cluster's most frequent value (ties: most recently seen, then the
# value itself, so the choice is deterministic). One typo in five records is outvoted this way.
_MODE_COLUMNS = ("fn", "ln", "dob", "email_canonical", "phone")


def _mode_cte(col: str) -> str:
    return f"""m_{col} AS (
        SELECT cl, arg_max({col}, (n, seen, {col})) AS {col} FROM (
            SELECT cl, {col}, count(*) AS n, max(observed_at) AS seen FROM rc
            WHERE {col} IS NOT NULL AND NOT single GROUP BY cl, {col}
        ) GROUP BY cl
    )"""


def build_representatives(
    con: duckdb.DuckDBPyConnection, det_labels: str, s: IdentitySettings, scope: str | None = None
) -> int:
    """Create id_reps: one row per (deterministic cluster, postcode), at most max_reps_per_cluster.

    Why several rows: a mover's old-address records and a bought list with the old address must
    still meet the cluster in a postcode block; one row per cluster would only carry the newest
    address. The address columns come from the rows with that postcode; names, dob, e-mail and
    phone are cluster-wide modes, so a representative is richer than any single record (a web
    record's e-mail plus a call-center record's dob). Singleton clusters (most records at scale)
    skip the aggregation and are copied as they are. With `scope` (a table of rids) only its
    records' clusters are built, without blocking keys (add_block_keys, over every representative).
    """
    records = "rec" if scope is None else f"(SELECT * FROM rec SEMI JOIN {scope} USING (rid))"
    con.execute(f"""
        CREATE OR REPLACE TABLE rc AS
        SELECT r.*, coalesce(d.lbl, r.rid) AS cl, d.lbl IS NULL AS single
        FROM {records} r LEFT JOIN {det_labels} d ON d.node = r.rid
    """)
    modes = ",\n".join(_mode_cte(c) for c in _MODE_COLUMNS)
    joins = " ".join(f"LEFT JOIN m_{c} USING (cl)" for c in _MODE_COLUMNS)
    con.execute(f"""
        CREATE OR REPLACE TABLE id_reps AS
        WITH {modes},
        multi AS (
            SELECT cl, arg_max(rid, (observed_at, rid)) AS anchor FROM rc WHERE NOT single GROUP BY cl
        ),
        addr AS (
            SELECT cl, postcode, arg_max(address_line1, (observed_at, rid)) AS address_line1,
                   arg_max(city, (observed_at, rid)) AS city, arg_max(rid, (observed_at, rid)) AS anchor,
                   max(observed_at) AS seen
            FROM rc WHERE postcode IS NOT NULL AND NOT single GROUP BY cl, postcode
            QUALIFY row_number() OVER (PARTITION BY cl ORDER BY seen DESC, postcode)
                    <= {s.max_reps_per_cluster}
        ),
        multi_reps AS (
            SELECT m.cl, coalesce(a.anchor, m.anchor) AS anchor_rid, {", ".join(_MODE_COLUMNS)},
                   a.postcode, a.address_line1, a.city
            FROM multi m LEFT JOIN addr a USING (cl) {joins}
        ),
        single_reps AS (
            SELECT cl, rid AS anchor_rid, {", ".join(_MODE_COLUMNS)}, postcode, address_line1, city
            FROM rc WHERE single
        ),
        unioned AS (SELECT * FROM multi_reps UNION ALL SELECT * FROM single_reps)
        SELECT u.anchor_rid AS unique_id, u.cl AS cluster_id, u.anchor_rid,
               u.fn, coalesce(n.canonical, u.fn) AS fn_canon, u.ln, u.dob, u.email_canonical,
               split_part(u.email_canonical, '@', 1) AS email_user, u.phone, u.postcode,
               nullif(regexp_extract(u.postcode, '^[A-Z]{{1,2}}[0-9][A-Z0-9]?'), '') AS district,
               u.address_line1, u.city
        FROM unioned u LEFT JOIN nick n ON n.nickname = u.fn
    """)
    con.execute("DROP TABLE rc")
    if scope is None:
        add_block_keys(con, s)
    return con.execute("SELECT count(*) FROM id_reps").fetchone()[0]


def add_block_keys(con: duckdb.DuckDBPyConnection, s: IdentitySettings, table: str = "id_reps") -> None:
    """Add the BLOCK_KEYS columns to `table`; a key shared by more than max_block_size rows is NULL."""
    keys = ",\n".join(
        f"CASE WHEN count(*) OVER (PARTITION BY {expr}) <= {s.max_block_size} THEN {expr} END AS {name}"
        for name, expr in BLOCK_KEYS.items()
    )
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT *, {keys} FROM {table}")


def add_block_keys_delta(con: duckdb.DuckDBPyConnection, s: IdentitySettings, old_scoped: str) -> list[Any]:
    """add_block_keys for an incremental run, without counting every key of every representative.

    id_reps holds the scope's new representatives (scoped) and the stored ones outside it with their
    stored keys (prev_bk_*, prev_region). A key value's count can only have changed if the scope's
    representatives carry it now or carried it before (`old_scoped`: those stored rows): only those
    values are counted again; the others keep their stored key. Returns the regions of outside
    representatives whose key changed (its block crossed max_block_size).
    """
    raw = ", ".join(f"{expr} AS raw_{name}" for name, expr in BLOCK_KEYS.items())
    con.execute(f"CREATE OR REPLACE TABLE id_reps AS SELECT *, {raw} FROM id_reps")
    for name, expr in BLOCK_KEYS.items():
        con.execute(f"""
            CREATE OR REPLACE TABLE bkc_{name} AS
            WITH vals AS (
                SELECT raw_{name} AS v FROM id_reps WHERE scoped UNION SELECT {expr} FROM {old_scoped}
            )
            SELECT raw_{name} AS v, count(*) AS n FROM id_reps
            WHERE raw_{name} IN (SELECT v FROM vals WHERE v IS NOT NULL) GROUP BY ALL
        """)
    cap = s.max_block_size
    keys = ", ".join(
        f"CASE WHEN c_{n}.n IS NULL THEN r.prev_{n} WHEN c_{n}.n <= {cap} THEN r.raw_{n} END AS {n}"
        for n in BLOCK_KEYS
    )
    joins = " ".join(f"LEFT JOIN bkc_{n} c_{n} ON c_{n}.v = r.raw_{n}" for n in BLOCK_KEYS)
    raws = ", ".join(f"raw_{n}" for n in BLOCK_KEYS)
    con.execute(
        f"CREATE OR REPLACE TABLE id_reps AS SELECT r.* EXCLUDE ({raws}), {keys} FROM id_reps r {joins}"
    )
    moved = " OR ".join(f"{n} IS DISTINCT FROM prev_{n}" for n in BLOCK_KEYS)
    regions = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT prev_region FROM id_reps WHERE NOT scoped AND ({moved})"
        ).fetchall()
    ]
    prev = ", ".join(f"prev_{n}" for n in BLOCK_KEYS)
    con.execute(f"CREATE OR REPLACE TABLE id_reps AS SELECT * EXCLUDE ({prev}, prev_region) FROM id_reps")
    con.execute("; ".join(f"DROP TABLE bkc_{n}" for n in BLOCK_KEYS))
    return regions
