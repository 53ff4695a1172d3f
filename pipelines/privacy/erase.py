"""Erase one person from every layer of the working warehouse, in one transaction (docs/privacy.md).

Rows that record a business event (a sale, a call, a web event, a response) stay, without the person:
their personal columns become null and facts lose the customer key, so aggregates keep their totals.
Rows that are only about the person (their golden record and history, touchpoints, customer marts,
identity records) are deleted. A sweep then clears any text value left that holds one of the
person's e-mails or phones, or equals one of their ids (quarantine originals, check samples, JSON).
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable

import duckdb

from pipelines.privacy.subject import IDENTITY_FEEDS, Subject, record_filter
from pipelines.privacy.tags import Tags, contract_personal_columns
from sources.contracts import FeedContract
from sources.feeds import FEEDS
from sources.ingest.revisions import record_revisions
from sources.lib.duck import list_tables, table_columns, table_exists
from sources.lib.sqltext import ident, lit
from sources.privacy.suppression import match_key

# Where dbt and the identity step keep customers: rows keyed by one of the person's keys go.
CUSTOMER_SCHEMAS = ("intermediate", "core", "marts", "restricted", "audit")
SWEPT_SCHEMAS = ("raw", "staging", *CUSTOMER_SCHEMAS, "main")
TEXT_TYPES = ("VARCHAR", "JSON", "BLOB")
MIN_PHONE_DIGITS = 8  # a shorter needle would clear unrelated numbers
# A cookie becomes a token, so a session stays one session. An account id or card becomes null where
# it may: a token there would make the record contact-bearing again, and identity would rebuild the
# person's history under a new key.
TOKEN_KINDS = ("online_id",)

Predicate = Callable[[FeedContract], str | None]  # the suppression list's SQL over a feed's raw row


def _token(column: str, salt: str) -> str:
    """An id's replacement: equal values stay equal (a session stays one session, a basket one basket), but
    nothing leads back: md5 under a salt only this erasure knew."""
    return f"'erased-' || left(md5({lit(salt)} || CAST({ident(column)} AS VARCHAR)), 16)"


def _nullable(con: duckdb.DuckDBPyConnection, tags: Tags, schema: str, table: str) -> dict[str, bool]:
    """column -> whether it may be set null: not NOT NULL in the table, not guarded by a dbt not_null test."""
    return {
        n: null and (schema, table, n) not in tags.not_null
        for n, _, null in table_columns(con, schema, table)
    }


def _clear(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, str | None],
    where: str,
    nullable: dict[str, bool],
    salt: str,
) -> int:
    """Clear `columns` (column -> personal kind) on the rows `where` selects: a cookie (TOKEN_KINDS), or a
    value that may not be null, becomes a token; anything else null. Rows stay, so load counts still
    add up."""
    sets = ", ".join(
        f"{ident(c)} = {_token(c, salt) if kind in TOKEN_KINDS or not nullable[c] else 'NULL'}"
        for c, kind in columns.items()
        if c in nullable
    )
    return con.execute(f"UPDATE {table} SET {sets} WHERE {where}").fetchone()[0] if sets else 0


def _feed_rows(con: duckdb.DuckDBPyConnection, contract: FeedContract, predicate: Predicate) -> None:
    """Fill temp table _erase_lines with (load id, line) of every raw row of the feed that is the person's:
    a row of one of their records (every load of it), or a row the suppression list matches."""
    ids = ", ".join(contract.record_id)
    hit = [record_filter(contract)] if contract.name in IDENTITY_FEEDS else []
    if (suppressed := predicate(contract)) is not None:
        hit.append(f"({suppressed})")
    raw = f"raw.{contract.name}"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _erase_lines AS "
        f"SELECT _load_id AS load_id, _source_line AS source_line "
        f"FROM {raw} WHERE ({ids}) IN (SELECT ({ids}) FROM {raw} WHERE {' OR '.join(hit) or 'false'})"
    )


def _line_match(load_id: str, line: str) -> str:
    """SQL true for a row whose lineage is in _erase_lines (staging keeps the raw row's load id and line)."""
    return f"EXISTS (SELECT 1 FROM _erase_lines e WHERE e.load_id = t.{load_id} AND e.source_line = t.{line})"


def erase_feeds(
    con: duckdb.DuckDBPyConnection, tags: Tags, predicate: Predicate, salt: str, removed: Counter
) -> None:
    """Raw and staging rows of the person keep their events but lose their personal columns (and
    _extra), in every load of the record."""
    for name, contract in FEEDS.items():
        if not table_exists(con, "raw", name):
            continue
        _feed_rows(con, contract, predicate)
        record_revisions(con, name, "SELECT load_id FROM _erase_lines", "erasure")
        required = {c.name for c in contract.required}
        tables = [("raw", name)] + [
            ("staging", t) for s, t in list_tables(con, ["staging"]) if t.startswith(f"stg_{name}__")
        ]
        for schema, table in tables:
            target = f"{schema}.{ident(table)} t"
            columns = _nullable(con, tags, schema, table)
            if schema == "raw":  # a value the contract requires stays, as a token: a rebuild reads it
                columns = {n: ok and n not in required for n, ok in columns.items()}
            where = (
                _line_match("_load_id", "_source_line")
                if schema == "raw"
                else _line_match("load_id", "source_line")
            )
            tagged = (
                contract_personal_columns(contract)
                if schema == "raw"
                else tags.personal.get((schema, table), {})
            )
            extra = {"_extra": None} if schema == "raw" else {}
            n = _clear(con, target, {**tagged, **extra}, where, columns, salt)
            removed[f"{schema}.{table}"] += n


def _erase_identity_links(con: duckdb.DuckDBPyConnection, removed: Counter) -> None:
    """Identity's representatives (anchored on one record of a cluster) and links of the person's records."""
    if table_exists(con, "core", "identity_reps") and table_exists(con, "core", "identity_records"):
        removed["core.identity_reps"] += con.execute(
            "DELETE FROM core.identity_reps WHERE anchor_rid IN (SELECT rid FROM core.identity_records r "
            "WHERE EXISTS (SELECT 1 FROM _erase_records e WHERE e.source_system = r.source_system "
            "AND e.source_record_id = r.source_record_id))"
        ).fetchone()[0]
    if table_exists(con, "core", "identity_edges"):
        removed["core.identity_edges"] += con.execute(
            "DELETE FROM core.identity_edges WHERE EXISTS (SELECT 1 FROM _erase_records e WHERE "
            "(e.source_system = source_system_a AND e.source_record_id = source_record_id_a) OR "
            "(e.source_system = source_system_b AND e.source_record_id = source_record_id_b))"
        ).fetchone()[0]


def _customer_rows(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, keys: list[str], tags: Tags, salt: str
) -> int:
    """A table keyed by customer: an event fact keeps its rows, anonymous; any other table (a touchpoint
    fact, whose customer_key is NOT NULL, included) loses the person's rows."""
    columns = _nullable(con, tags, schema, table)
    name = f"{schema}.{ident(table)}"
    where = f"customer_key IN {_in(keys)}" + (
        f" OR other_key IN {_in(keys)}" if "other_key" in columns else ""
    )
    if table.startswith("fct_") and columns["customer_key"]:
        # customer_key_source says where the key came from: no key, no source (as a rebuild gives)
        gone = {"customer_key": None, "customer_sk": None, "customer_key_source": None}
        gone |= tags.personal.get((schema, table), {})
        return _clear(con, name, gone, where, columns, salt)
    return con.execute(f"DELETE FROM {name} WHERE {where}").fetchone()[0]


def erase_customers(
    con: duckdb.DuckDBPyConnection,
    subject: Subject,
    tags: Tags,
    erasure_id: str,
    salt: str,
    removed: Counter,
) -> None:
    """Rows keyed by one of the person's customer keys, by one of their source records, or (a table with
    neither) by one of their account ids."""
    keys = subject.customer_keys
    accounts = sorted(
        {v.strip().upper().replace(" ", "") for v in subject.identifiers.get("customer_id", ())}
    )
    _erase_identity_links(con, removed)
    for schema, table in list_tables(con, list(CUSTOMER_SCHEMAS)):
        columns = {n for n, _, _ in table_columns(con, schema, table)}
        name = f"{schema}.{ident(table)}"
        if (schema, table) == ("core", "identity_keys"):
            # kept so the key is never handed out again; retired like a key merged away
            n = con.execute(
                "UPDATE core.identity_keys SET status = 'retired', retired_run_id = ? "
                "WHERE customer_key IN ? AND status <> 'retired'",
                [erasure_id, keys or [""]],
            ).fetchone()[0]
        elif "customer_key" in columns:
            n = _customer_rows(con, schema, table, keys, tags, salt) if keys else 0
        elif {"source_system", "source_record_id"} <= columns:
            n = con.execute(
                f"DELETE FROM {name} t WHERE EXISTS (SELECT 1 FROM _erase_records e WHERE "
                "e.source_system = t.source_system AND e.source_record_id = t.source_record_id)"
            ).fetchone()[0]
        elif "account_id" in columns and accounts and not table.startswith("fct_"):
            # the cookie-to-account links of web logins
            n = con.execute(f"DELETE FROM {name} WHERE account_id IN {_in(accounts)}").fetchone()[0]
        else:
            continue
        removed[f"{schema}.{table}"] += n


def _in(values: list[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


def needles(subject: Subject) -> tuple[list[str], list[str]]:
    """(values a text must not contain, values a text must not equal): the person's e-mails and phones
    in every form seen; their account ids, cards and cookies exactly (a short id inside a longer one is
    someone else's)."""
    contained: set[str] = set()
    for email in subject.identifiers.get("email", ()):
        contained.add(email.strip().lower())
    for phone in subject.identifiers.get("phone", ()):
        digits = match_key("phone", phone) or ""
        if len(digits) >= MIN_PHONE_DIGITS:
            contained.update({phone.strip(), "+" + digits, digits})
    equal: set[str] = set()
    for ref in (*subject.identifiers.get("customer_id", ()), *subject.identifiers.get("online_id", ())):
        equal.update({ref.strip(), ref.strip().upper().replace(" ", "")})
    return sorted(v for v in contained if v), sorted(v for v in equal if v)


def sweep(con: duckdb.DuckDBPyConnection, subject: Subject, tags: Tags, salt: str, removed: Counter) -> None:
    """Clear every text, JSON or BLOB value of the warehouse that holds one of the person's needles."""
    contained, equal = needles(subject)
    if not contained and not equal:
        return
    for schema, table in list_tables(con, list(SWEPT_SCHEMAS)):
        texts = [n for n, typ, _ in table_columns(con, schema, table) if typ in TEXT_TYPES]
        if not texts:
            continue
        name, nullable = f"{schema}.{ident(table)}", _nullable(con, tags, schema, table)
        conds = {n: _holds(n, contained, equal) for n in texts}
        counts = con.execute(
            "SELECT " + ", ".join(f"count(*) FILTER (WHERE {c})" for c in conds.values()) + f" FROM {name}"
        ).fetchone()
        for (column, cond), hits in zip(conds.items(), counts, strict=True):
            if hits:
                removed[f"{schema}.{table}"] += _clear(con, name, {column: None}, cond, nullable, salt)


def _holds(column: str, contained: list[str], equal: list[str]) -> str:
    text = f"lower(CAST({ident(column)} AS VARCHAR))"
    parts = [f"contains({text}, {lit(v.lower())})" for v in contained]
    if equal:
        parts.append(f"CAST({ident(column)} AS VARCHAR) IN {_in(equal)}")
    return "(" + " OR ".join(parts) + ")" if parts else "false"


def erase_subject(
    con: duckdb.DuckDBPyConnection,
    subject: Subject,
    tags: Tags,
    predicate: Predicate,
    erasure_id: str,
) -> dict[str, int]:
    """Remove the person everywhere (the caller holds the transaction); table -> rows changed."""
    removed: Counter = Counter()
    salt = secrets.token_hex(16)  # never stored: the tokens that replace required values stay untraceable
    erase_feeds(con, tags, predicate, salt, removed)
    erase_customers(con, subject, tags, erasure_id, salt, removed)
    sweep(con, subject, tags, salt, removed)
    return {table: n for table, n in sorted(removed.items()) if n}
