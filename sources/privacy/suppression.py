"""The suppression list: keyed pseudonyms of erased people's identifiers, matched at ingestion.

`crm360 erase` adds a person's e-mail addresses, phone numbers, customer ids and cookie ids
(add_entries); the loader drops every staged record whose identifier of one of those kinds matches
an entry (suppression_predicate), so a re-delivered or old landing file never re-creates them.

Each kind has a match key: the identifier normalized so that the notations of one value meet
(`Anna+News@X.com ` and `anna@x.com`; `+44 20 7946 0123` and `0044 20 7946 0123`). The list holds
only HMAC pseudonyms of match keys, with the id of the key that made them (key_id); the key itself
never enters the warehouse. Entries and staged records are both normalized and hashed by the SQL
forms below, so they always agree; the Python forms equal them on the same input (tested), except
for the few letters whose case mapping differs between Python and DuckDB (Python's 'ß'.upper() is
'SS', DuckDB's is 'ẞ'; 'İ'.lower()).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import duckdb

from sources.contracts import SUPPRESSION_KINDS, FeedContract
from sources.lib.duck import table_exists
from sources.lib.sqltext import ident, lit
from sources.privacy.pseudonym import key_id, pseudonym_sql, without_query

# Created with the other audit tables (sources/ingest/schema.py AUDIT_DDL), idempotently.
PRIVACY_DDL = """
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.suppression (
    kind        VARCHAR NOT NULL,   -- email | phone | customer_id | online_id (SUPPRESSION_KINDS)
    pseudonym   VARCHAR NOT NULL,   -- hex HMAC-SHA-256 of the match key (sources/privacy/pseudonym.py)
    key_id      VARCHAR NOT NULL,   -- fingerprint of the key that made it: a changed key is refused
    erasure_id  VARCHAR,            -- the erasure that added it (audit.erasure_log)
    added_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, pseudonym)
);
-- One row per `crm360 erase`; never the person's identifiers, only their pseudonym.
CREATE TABLE IF NOT EXISTS audit.erasure_log (
    erasure_id    VARCHAR PRIMARY KEY,
    subject       VARCHAR NOT NULL,  -- keyed pseudonym of what the request named
    requested_by  VARCHAR NOT NULL,  -- email | phone | customer_key
    key_id        VARCHAR NOT NULL,
    erased_at     TIMESTAMPTZ NOT NULL,
    customer_keys INTEGER NOT NULL,  -- golden-record customers removed
    removed       JSON NOT NULL      -- {table: rows removed}
);
"""

TRIM_CHARS = " \t\r\n"
MIN_PHONE_DIGITS = 6
# A trailing extension: `ext 12`, `ext. 12`, `extension 12`, `x12`, `#12`.
PHONE_EXTENSION = r"(?i)[ ,;]*(?:extension|ext|x|#)[ .:]*[0-9]+$"
EMAIL_ALIAS = r"\+[^@]*(@[^@]*)$"  # `+news` before the last @


class SuppressionKeyError(Exception):
    """The suppression list was made with another pseudonym key: matching it would silently fail."""


def _check_kind(kind: str) -> None:
    if kind not in SUPPRESSION_KINDS:
        raise ValueError(f"unknown suppression kind {kind!r}: expected one of {', '.join(SUPPRESSION_KINDS)}")


def _email_key(text: str) -> str:
    return re.sub(EMAIL_ALIAS, r"\1", text.strip(TRIM_CHARS).lower(), count=1)


def _phone_key(text: str) -> str | None:
    digits = re.sub(r"[^0-9]", "", re.sub(r"\(0\)", "", re.sub(PHONE_EXTENSION, "", text.strip(TRIM_CHARS))))
    digits = digits.lstrip("0")
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def match_key(kind: str, text: str | None) -> str | None:
    """The normalized identifier of `kind` that suppression matches on; None when there is none."""
    _check_kind(kind)
    if text is None:
        return None
    if kind == "email":
        key: str | None = _email_key(text)
    elif kind == "phone":
        key = _phone_key(text)
    elif kind == "customer_id":
        key = re.sub(r"[ \t\r\n]", "", text.upper())
    else:
        key = text.strip(TRIM_CHARS)
    return key or None


def match_key_sql(kind: str, expression: str) -> str:
    """match_key as DuckDB SQL over a VARCHAR expression (NULL where match_key gives None)."""
    _check_kind(kind)
    trimmed = f"trim({expression}, {lit(TRIM_CHARS)})"
    if kind == "email":
        return f"nullif(regexp_replace(lower({trimmed}), {lit(EMAIL_ALIAS)}, '\\1'), '')"
    if kind == "phone":
        no_ext = f"regexp_replace({trimmed}, {lit(PHONE_EXTENSION)}, '')"
        digits = f"regexp_replace(replace({no_ext}, '(0)', ''), '[^0-9]', '', 'g')"
        stripped = f"ltrim({digits}, '0')"
        return f"CASE WHEN length({stripped}) >= {MIN_PHONE_DIGITS} THEN {stripped} END"
    if kind == "customer_id":
        return f"nullif(regexp_replace(upper({expression}), '[ \\t\\r\\n]', '', 'g'), '')"
    return f"nullif({trimmed}, '')"


def key_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The key ids the suppression list's entries were made with (none for an empty list)."""
    return [k for (k,) in con.execute("SELECT DISTINCT key_id FROM audit.suppression ORDER BY 1").fetchall()]


def check_key(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Refuse a key other than the one the list was made with (SuppressionKeyError)."""
    current, found = key_id(key), key_ids(con)
    other = [k for k in found if k != current]
    if other:
        raise SuppressionKeyError(
            f"audit.suppression holds entries made with pseudonym key id(s) {', '.join(other)}, but the "
            f"configured key (CRM360_PSEUDONYM_KEY / CRM360_PSEUDONYM_KEY_FILE) has id {current}: the key "
            "changed, and erased people would no longer be suppressed. Restore the original key."
        )


def has_entries(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether anyone was ever suppressed (False also where the table does not exist yet)."""
    return (
        table_exists(con, "audit", "suppression")
        and con.execute("SELECT count(*) FROM audit.suppression").fetchone()[0] > 0
    )


def add_entries(
    con: duckdb.DuckDBPyConnection, key: bytes, kind: str, values: Iterable[str], erasure_id: str
) -> int:
    """Add the pseudonyms of `values`' match keys of `kind`; entries already listed are kept as
    they are. Returns how many are new. Values without a match key (an empty e-mail, a phone
    number of under 6 digits) add nothing. The values travel as a query parameter only."""
    _check_kind(kind)
    con.execute(PRIVACY_DDL)
    check_key(con, key)
    texts = [v for v in values if v is not None]
    if not texts:
        return 0
    hashed = pseudonym_sql(match_key_sql(kind, "v"), key)
    try:
        return _insert(con, hashed, kind, key, erasure_id, texts)
    except duckdb.Error as exc:  # its message would quote the query, key material included
        raise type(exc)(without_query(str(exc))) from None


def _insert(
    con: duckdb.DuckDBPyConnection, hashed: str, kind: str, key: bytes, erasure_id: str, texts: list[str]
) -> int:
    return con.execute(
        f"""
        INSERT INTO audit.suppression (kind, pseudonym, key_id, erasure_id, added_at)
        SELECT ?, p, ?, ?, now()
        FROM (SELECT DISTINCT {hashed} AS p FROM (SELECT unnest(?::VARCHAR[]) AS v))
        WHERE p IS NOT NULL
          AND p NOT IN (SELECT pseudonym FROM audit.suppression WHERE kind = ?)
        """,
        [kind, key_id(key), erasure_id, texts, kind],
    ).fetchone()[0]


def listed_kinds(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {k for (k,) in con.execute("SELECT DISTINCT kind FROM audit.suppression").fetchall()}


def suppression_predicate(con: duckdb.DuckDBPyConnection, contract: FeedContract, key: bytes) -> str | None:
    """SQL over the contract's staged text columns, true for a record with an identifier on the list.

    None when no entry concerns the feed (an empty list costs nothing). Raises SuppressionKeyError
    when the list was made with another key. The expression holds key material and reads
    audit.suppression: use it in a query, never in a view or table stored in the warehouse.
    """
    if not has_entries(con):
        return None
    check_key(con, key)
    kinds = listed_kinds(con)
    # `(SELECT <hash>)` is a correlated subquery: DuckDB evaluates it once per distinct value of the
    # column (a duplicate-eliminating join), not once per record. Identifiers repeat (a customer's
    # lines, a browser's events): on 1M records of 20,000 distinct e-mails 0.2 s instead of 2.7 s.
    # Measured on 1M staged records with 3 identifier columns and 10 entries (2 threads, shared
    # machine): 9.3 s with every value distinct, 3.6 s at 5 records per value, 0.8 s at 50.
    tests = [
        f"(SELECT {pseudonym_sql(match_key_sql(c.personal, ident(c.name)), key)}) IN "
        f"(SELECT pseudonym FROM audit.suppression WHERE kind = {lit(c.personal)})"
        for c in contract.columns
        if c.personal in SUPPRESSION_KINDS and c.personal in kinds
    ]
    return "coalesce(" + " OR ".join(f"({t})" for t in tests) + ", false)" if tests else None


# Where a record the parser could not split is cut into candidate identifiers: CSV and JSON
# punctuation. A phone number keeps its spaces, an e-mail address its dots.
BROKEN_RECORD_SPLIT = r'[,;\t"{}\[\]|]'


def broken_record_predicate(con: duckdb.DuckDBPyConnection, contract: FeedContract, key: bytes) -> str | None:
    """SQL over a staged relation of the loader (with `_parse_error` and `_original`), true for a
    record the parser could not split whose text holds a listed identifier of one of the feed's kinds.

    Its columns are all NULL, so suppression_predicate cannot see the person; without this the record
    would be quarantined with its full text. Each piece of the text between CSV or JSON punctuation
    is tried as every listed kind (a piece that happens to equal a listed identifier drops the
    record too: only broken records, which would not load anyway, are at stake). None when no entry
    concerns the feed. Holds key material, like suppression_predicate.
    """
    if not has_entries(con):
        return None
    check_key(con, key)
    kinds = sorted(
        {c.personal for c in contract.columns if c.personal in SUPPRESSION_KINDS} & listed_kinds(con)
    )
    pieces = f"regexp_split_to_array(_original, {lit(BROKEN_RECORD_SPLIT)})"
    tests = [
        f"list_has_any(list_transform({pieces}, x -> {pseudonym_sql(match_key_sql(kind, 'x'), key)}), "
        f"(SELECT list(pseudonym) FROM audit.suppression WHERE kind = {lit(kind)}))"
        for kind in kinds
    ]
    if not tests:
        return None
    return "(_parse_error IS NOT NULL AND _original IS NOT NULL AND (" + " OR ".join(tests) + "))"
