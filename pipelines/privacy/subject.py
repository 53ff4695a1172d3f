"""Find a person to erase: their customer keys, source records and every identifier they arrived with."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from sources.contracts import SUPPRESSION_KINDS, FeedContract
from sources.feeds import FEEDS
from sources.lib.duck import table_exists
from sources.privacy.suppression import match_key

KINDS = ("email", "phone", "customer_key")
# Feeds whose records identity resolution reads: source_system -> the column holding source_record_id
# (the feed's first record-id column: a POS record is the whole transaction).
IDENTITY_FEEDS = ("web", "pos", "callcenter", "response_list", "compiled_list")


@dataclass
class Subject:
    """The person: what the request named, what the warehouse knows of them, what they were delivered as."""

    requested_by: str  # one of KINDS
    customer_keys: list[str]
    records: list[tuple[str, str]]  # (source_system, source_record_id)
    identifiers: dict[str, set[str]] = field(default_factory=dict)  # suppression kind -> raw values


def _identity_keys_sql(kind: str, value: str) -> tuple[str, str]:
    """(SQL selecting the customer keys of identity records carrying the value, the value's match key)."""
    if kind == "email":
        where = "r.email_canonical = $value"
    else:
        # the digits as delivered may lack the country code: a national number matches the end of E.164
        where = "(ltrim(r.phone, '+') = $value OR (length($value) >= 9 AND suffix(r.phone, $value)))"
    return (
        "SELECT DISTINCT m.customer_key FROM core.identity_records r "
        "JOIN core.customer_identity_map m USING (source_system, source_record_id) WHERE " + where
    ), match_key(kind, value) or ""


def find_subject(con: duckdb.DuckDBPyConnection, kind: str, value: str) -> Subject:
    """Everything of the person named by `kind` = `value` in the warehouse of `con`; a person the warehouse
    does not know gets no keys and no records, only the requested identifier (to be suppressed)."""
    if kind not in KINDS:
        raise ValueError(f"erase by one of {', '.join(KINDS)}, not {kind!r}")
    if not value.strip():
        raise ValueError(f"an empty {kind} names nobody")
    keys: list[str] = []
    if kind == "customer_key":
        keys = [value.strip()]
    elif table_exists(con, "core", "identity_records") and table_exists(con, "core", "customer_identity_map"):
        sql, param = _identity_keys_sql(kind, value)
        keys = [k for (k,) in con.execute(sql, {"value": param}).fetchall() if k]
    records = _records(con, keys)
    identifiers = _identifiers(con, records)
    if kind in ("email", "phone"):
        identifiers.setdefault(kind, set()).add(value.strip())
    return Subject(kind, sorted(keys), records, identifiers)


def _records(con: duckdb.DuckDBPyConnection, keys: list[str]) -> list[tuple[str, str]]:
    """The source records identity gives (or once gave) one of `keys`."""
    if not keys:
        return []
    parts = []
    for schema, table in (("core", "customer_identity_map"), ("audit", "identity_key_history")):
        if table_exists(con, schema, table):
            parts.append(
                f"SELECT source_system, source_record_id FROM {schema}.{table} WHERE customer_key IN ?"
            )
    if not parts:
        return []
    sql = " UNION ".join(parts) + " ORDER BY 1, 2"
    return [tuple(r) for r in con.execute(sql, [keys] * len(parts)).fetchall()]


def record_filter(contract: FeedContract) -> str:
    """SQL true for a raw or staging row of `contract` whose record is in temp table _erase_records."""
    return (
        f"{contract.record_id[0]} IN (SELECT source_record_id FROM _erase_records "
        f"WHERE source_system = '{contract.name}')"
    )


def _identifiers(con: duckdb.DuckDBPyConnection, records: list[tuple[str, str]]) -> dict[str, set[str]]:
    """kind -> every value of a suppressible column on the person's raw rows (as delivered), plus the
    browser cookies that logged in to their accounts."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _erase_records (source_system VARCHAR, source_record_id VARCHAR)"
    )
    if records:
        con.executemany("INSERT INTO _erase_records VALUES (?, ?)", records)
    found: dict[str, set[str]] = {kind: set() for kind in SUPPRESSION_KINDS}
    for name in IDENTITY_FEEDS:
        contract = FEEDS[name]
        if not records or not table_exists(con, "raw", name):
            continue
        columns = [c for c in contract.columns if c.personal in SUPPRESSION_KINDS]
        # one scan of the feed: the person's rows are few, their values are sorted out here
        rows = con.execute(
            f"SELECT DISTINCT {', '.join(c.name for c in columns)} FROM raw.{name} "
            f"WHERE {record_filter(contract)}"
        ).fetchall()
        for row in rows:
            for column, value in zip(columns, row, strict=True):
                if value is not None and str(value).strip():
                    found[column.personal].add(value)
    accounts = sorted({v.strip().upper().replace(" ", "") for v in found["customer_id"]})
    if accounts and table_exists(con, "intermediate", "int_web_anonymous_links"):
        rows = con.execute(
            "SELECT DISTINCT anonymous_id FROM intermediate.int_web_anonymous_links WHERE account_id IN ?",
            [accounts],
        ).fetchall()
        found["online_id"].update(v for (v,) in rows if v)
    return {kind: values for kind, values in found.items() if values}
