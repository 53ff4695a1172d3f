"""Read one landing file into the view `scratch._staged`: every record as text, with its line number.

DuckDB's CSV reader reports line numbers only for rejected rows, and counts a quoted multi-line
record as one line. So each file is read twice inside DuckDB: once as physical lines (to number
them and keep the original text) and once through the real CSV/JSON parser; the two are zipped
by record order. Nothing leaves DuckDB, and the per-file temp tables stay the size of one file.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import duckdb

from sources.contracts import FeedContract
from sources.ingest.files import LandingFile, read_header
from sources.ingest.jsonl_sql import jsonl_records_sql
from sources.ingest.loadable import has_required_sql, looks_like
from sources.ingest.originals import recover_originals
from sources.lib.sqltext import ident, lit, strip_cr_sql, trim_to_null_sql


class StagingError(Exception):
    """A file could not be read at all; the message names the feed and file."""


@dataclass
class StagedFile:
    rows_read: int
    extra_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _read_lines(con: duckdb.DuckDBPyConnection, lf: LandingFile) -> None:
    """Physical lines of the file into `_phys (n, text)`, invalid UTF-8 lines included."""
    con.execute("DROP TABLE IF EXISTS _lines_rej; DROP TABLE IF EXISTS _lines_rej_scan")
    # delim NUL and no quote char: every physical line is one single-column record.
    con.execute(
        f"""
        CREATE OR REPLACE TABLE scratch._lines AS
        SELECT {strip_cr_sql("line")} AS text FROM read_csv({lit(str(lf.path))},
            columns={{'line': 'VARCHAR'}}, header=false, auto_detect=false, delim='\\0',
            quote='', escape='', strict_mode=false, store_rejects=true,
            rejects_table='_lines_rej', rejects_scan='_lines_rej_scan',
            compression={lit("gzip" if lf.compressed else "none")})
        """
    )
    # Lines the reader rejected (invalid UTF-8, too long) are missing from _lines; put them back
    # at their place: accepted line i moves down by the number of rejects before it. Their text
    # is their original bytes with escapes (sources/ingest/originals.py), with the true reason.
    rejected = [r for (r,) in con.execute("SELECT DISTINCT line FROM _lines_rej ORDER BY 1").fetchall()]
    recover_originals(con, lf, rejected)
    con.execute(
        """
        CREATE OR REPLACE TABLE scratch._phys AS
        WITH rej AS (
            SELECT line AS r, any_value(csv_line) AS text, row_number() OVER (ORDER BY line) AS j,
                   bool_or(error_type = 'INVALID ENCODING') AS bad_encoding,
                   CASE WHEN NOT bool_or(error_type = 'INVALID ENCODING')
                        THEN 'line too long: ' || any_value(error_message) END AS line_error
            FROM _lines_rej GROUP BY line
        ),
        acc AS (SELECT rowid + 1 AS i, text FROM scratch._lines)
        SELECT acc.i + coalesce(rej.j, 0) AS n, acc.text, false AS bad_encoding, NULL AS line_error
        FROM acc ASOF LEFT JOIN (SELECT r - j AS adj, j FROM rej) rej ON acc.i > rej.adj
        UNION ALL
        SELECT r, coalesce(b.text, rej.text), bad_encoding, line_error
        FROM rej LEFT JOIN scratch._raw_bytes b ON b.n = rej.r
        """
    )


def stage_jsonl(con: duckdb.DuckDBPyConnection, lf: LandingFile, contract: FeedContract) -> StagedFile:
    """JSON lines: one record per non-blank physical line."""
    _read_lines(con, lf)
    con.execute("CREATE OR REPLACE VIEW scratch._staged AS " + jsonl_records_sql(contract, "scratch._phys"))
    rows, usable = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {has_required_sql(contract)}) FROM scratch._staged"
    ).fetchone()
    if rows and not usable:
        keys = con.execute(
            "SELECT json_keys(_original) FROM scratch._staged WHERE _parse_error IS NULL LIMIT 1"
        ).fetchone()
        raise StagingError(
            f"{lf.relative}: nothing loadable: none of its {rows} record(s) is a JSON object with "
            f"the required field(s) {', '.join(c.name for c in contract.required)}"
            + looks_like(keys[0] if keys else [], contract)
        )
    extras = con.execute(
        "SELECT DISTINCT unnest(json_keys(_extra)) FROM scratch._staged WHERE _extra IS NOT NULL ORDER BY 1"
    ).fetchall()
    return StagedFile(rows_read=rows, extra_columns=[e[0] for e in extras])


def parse_header(raw: bytes, lf: LandingFile) -> list[str]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise StagingError(f"{lf.relative}: header line is not UTF-8 ({e})") from e
    header = [h.strip() for h in next(csv.reader(io.StringIO(text)))]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise StagingError(f"{lf.relative}: header repeats column(s) {', '.join(dupes)}")
    if any(h == "" for h in header):
        raise StagingError(f"{lf.relative}: header has an empty column name")
    return header


def stage_csv(con: duckdb.DuckDBPyConnection, lf: LandingFile, contract: FeedContract) -> StagedFile:
    """CSV with header: parsed by DuckDB, numbered by the physical line where a record starts."""
    raw_header = read_header(lf.path, lf.compressed)
    if raw_header.strip() == b"":
        raise StagingError(f"{lf.relative}: nothing loadable: empty file (no header, no rows)")
    header = parse_header(raw_header, lf)
    missing = [c.name for c in contract.required if c.name not in header]
    if missing:
        raise StagingError(
            f"{lf.relative}: nothing loadable: the header lacks required column(s) {', '.join(missing)}"
            + looks_like(header, contract)
        )
    _read_lines(con, lf)
    columns = "{" + ", ".join(f"{lit(h)}: 'VARCHAR'" for h in header) + "}"
    con.execute("DROP TABLE IF EXISTS _parse_rej; DROP TABLE IF EXISTS _parse_rej_scan")
    con.execute(
        f"""
        CREATE OR REPLACE TABLE scratch._rows AS
        SELECT * FROM read_csv({lit(str(lf.path))}, columns={columns}, header=true,
            auto_detect=false, delim=',', quote='"', escape='"', strict_mode=true,
            null_padding=false, store_rejects=true, rejects_table='_parse_rej',
            rejects_scan='_parse_rej_scan', compression={lit("gzip" if lf.compressed else "none")})
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE scratch._rejected AS
        -- column_idx is NULL for a whole-line error (LINE SIZE OVER MAXIMUM): arg_min skips NULL keys
        SELECT line AS l, arg_min(error_type || ': ' || error_message, coalesce(column_idx, -1)) AS reason,
               coalesce(arg_min(column_name, column_idx), 'field ' || (min(column_idx) + 1)) AS column_name
        FROM _parse_rej GROUP BY line
        """
    )
    parsed = con.execute("SELECT count(*) FROM scratch._rows").fetchone()[0]
    # Quote-aware numbering is right for RFC 4180 files; a stray quote inside an unquoted field
    # (accepted by the parser as a literal) breaks quote parity, and then every line is a record.
    if not _has_odd_quotes(con):
        numbered = _number_lines(con)  # no record spans lines: one line, one record
    elif _number_records(con, quote_aware=True) == parsed:
        numbered = parsed
    else:
        numbered = _number_records(con, quote_aware=False)
    if numbered != parsed:
        raise StagingError(
            f"{lf.relative}: the CSV parser read {parsed} records but their starting lines could not "
            "be told apart; a stray quote character makes record boundaries ambiguous"
        )
    extra = [h for h in header if h not in contract.column_names]
    select_cols, extra_sql, reject_cols = csv_columns_sql(contract, header)
    con.execute(
        f"""
        CREATE OR REPLACE VIEW scratch._staged AS
        SELECT d.start_n AS _source_line, d.original AS _original, NULL::VARCHAR AS _parse_error,
               NULL::VARCHAR AS _error_column, {select_cols}, {extra_sql} AS _extra
        FROM (SELECT rowid + 1 AS i, * FROM scratch._rows) r JOIN scratch._data_lines d USING (i)
        UNION ALL
        SELECT rec.start_n, rec.original,
               CASE WHEN j.reason LIKE 'INVALID ENCODING%' THEN 'invalid UTF-8 encoding'
                    WHEN j.reason LIKE 'LINE SIZE OVER MAXIMUM: %'
                    THEN 'line too long: ' || j.reason[25:]
                    ELSE 'malformed CSV record: ' || j.reason END,
               j.column_name, {reject_cols}, NULL::JSON
        FROM scratch._rejected j JOIN scratch._records rec USING (l)
        """
    )
    rows = con.execute("SELECT count(*) FROM scratch._staged").fetchone()[0]
    return StagedFile(rows_read=rows, extra_columns=extra)


def csv_columns_sql(contract: FeedContract, header: list[str] | tuple[str, ...]) -> tuple[str, str, str]:
    """SELECT lists over parsed records `r`: contract columns trimmed (NULL where the header lacks
    them), the header's other columns as one JSON `_extra`, and all-NULL contract columns."""
    extra = [h for h in header if h not in contract.column_names]
    cols = ", ".join(
        f"{trim_to_null_sql('r.' + ident(c))} AS {ident(c)}"
        if c in header
        else f"NULL::VARCHAR AS {ident(c)}"
        for c in contract.column_names
    )
    extra_sql = (
        "json_object(" + ", ".join(f"{lit(h)}, r.{ident(h)}" for h in extra) + ")::JSON"
        if extra
        else "NULL::JSON"
    )
    nulls = ", ".join(f"NULL::VARCHAR AS {ident(c)}" for c in contract.column_names)
    return cols, extra_sql, nulls


def _has_odd_quotes(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any physical line has an odd number of quote characters (a record may span lines)."""
    return bool(
        con.execute(
            "SELECT coalesce(bool_or((strlen(text) - strlen(replace(text, '\"', ''))) % 2 = 1), false) "
            "FROM scratch._phys"
        ).fetchone()[0]
    )


def _number_lines(con: duckdb.DuckDBPyConnection) -> int:
    """`_records` / `_data_lines` when every physical line is a record (no quoted line break).

    The result _number_records gives in that case, without its running sum and string_agg
    over every line (a third of staging a 20k-line POS file).
    """
    con.execute(
        """
        CREATE OR REPLACE TABLE scratch._records AS
        SELECT n AS l, n AS start_n, text AS original, coalesce(text, '') = '' AS blank FROM scratch._phys;
        CREATE OR REPLACE TABLE scratch._data_lines AS
        SELECT r.l, r.start_n, r.original, row_number() OVER (ORDER BY r.l) AS i
        FROM scratch._records r ANTI JOIN scratch._rejected j ON r.l = j.l
        WHERE r.l > 1 AND NOT r.blank;
        """
    )
    return con.execute("SELECT count(*) FROM scratch._data_lines").fetchone()[0]


def _number_records(con: duckdb.DuckDBPyConnection, quote_aware: bool) -> int:
    """Number records by their first physical line into `_records` / `_data_lines`; return the count.

    Logical lines follow DuckDB's reader: a newline inside quotes does not start a line, so a
    line starts a record when the quotes before it are balanced (RFC 4180 doubles inner quotes).
    """
    start = (
        "coalesce(sum(odd) OVER (ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) % 2 = 0"
        if quote_aware
        else "true"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE scratch._logical AS
        WITH q AS (
            SELECT n, text,
                   (strlen(coalesce(text, '')) - strlen(replace(coalesce(text, ''), '"', ''))) % 2 AS odd
            FROM scratch._phys
        ),
        s AS (SELECT *, {start} AS is_start FROM q)
        SELECT n, text, sum(is_start::INT) OVER (ORDER BY n) AS l FROM s;
        CREATE OR REPLACE TABLE scratch._records AS
        SELECT l, min(n) AS start_n, string_agg(text, chr(10) ORDER BY n) AS original,
               bool_or(text IS NULL OR text = '') AND count(*) = 1 AS blank
        FROM scratch._logical GROUP BY l;
        CREATE OR REPLACE TABLE scratch._data_lines AS
        SELECT r.l, r.start_n, r.original, row_number() OVER (ORDER BY r.l) AS i
        FROM scratch._records r ANTI JOIN scratch._rejected j ON r.l = j.l
        WHERE r.l > 1 AND NOT r.blank;
        """
    )
    return con.execute("SELECT count(*) FROM scratch._data_lines").fetchone()[0]


def stage_file(con: duckdb.DuckDBPyConnection, lf: LandingFile, contract: FeedContract) -> StagedFile:
    """Dispatch on the file format; the contract says which formats a feed accepts."""
    if lf.fmt not in contract.formats:
        raise StagingError(
            f"{lf.relative}: format {lf.fmt} is not accepted for feed {contract.name} "
            f"(accepted: {', '.join(contract.formats)})"
        )
    if lf.fmt == "jsonl":
        return stage_jsonl(con, lf, contract)
    return stage_csv(con, lf, contract)
