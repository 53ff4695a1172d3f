"""Stage many CSV files of one feed that share a header in one DuckDB pass, into scratch._batch.

Staging a CSV file on its own (readers.stage_csv) runs eight statements on one file's rows and
then copies them into the batch: about 50 us per POS row at 1M customers (357 s for 7.2M lines,
on one of the two cores), where DuckDB scans the same files in 6 s. Here one read_csv call
parses every file of a batch and one statement numbers and trims all their records.

Record numbering is the one-file reader's no-quoted-newline case (readers._number_lines): the
i-th parsed record of a file is its i-th physical line after the header that is neither blank
nor rejected by the parser. A file where that may not hold (a line with an odd number of quote
characters, so a record may span lines), with a line the line reader rejects (invalid UTF-8), or
whose record counts disagree is left out, for the one-file path to load or name.
"""

from __future__ import annotations

import zlib

import duckdb

from sources.contracts import FeedContract
from sources.ingest import batch
from sources.ingest.files import LandingFile, read_header
from sources.ingest.jsonl_batch import GZIP_FACTOR, number_lines, read_lines
from sources.ingest.readers import StagedFile, StagingError, csv_columns_sql, parse_header
from sources.lib.sqltext import ident, lit

# Uncompressed bytes read together: 192 MB is about 1M POS lines (~200 B each, 35 columns)
# and ~1.5 GB of scratch tables (lines, parsed records, the staged batch).
BATCH_BYTES = 192 << 20
# The file-name column of the shared read; a header with this name takes the one-file path.
FILENAME = "_crm360_file"


def csv_batch_full(files: list[LandingFile]) -> bool:
    """Whether the CSV files waiting for a shared read make a batch."""
    size = sum(lf.path.stat().st_size * (GZIP_FACTOR if lf.compressed else 1) for lf in files)
    return len(files) >= batch.BATCH_FILES or size >= BATCH_BYTES


def shared_header(lf: LandingFile, contract: FeedContract) -> tuple[str, ...] | None:
    """The file's header when the file can join a shared read; None sends it to the one-file path.

    The one-file path names what is wrong with an empty file, an unreadable header or one that
    lacks a required column, and reads a header that has the shared read's file-name column.
    """
    try:
        raw = read_header(lf.path, lf.compressed)
        header = parse_header(raw, lf) if raw.strip() else []
    except (OSError, EOFError, zlib.error, StagingError):
        return None
    if not header or FILENAME in header or any(c.name not in header for c in contract.required):
        return None
    return tuple(header)


def shared_read_key(lf: LandingFile, contract: FeedContract) -> tuple[str, ...] | None:
    """Files with the same key are read together: JSON lines, or CSV files with one header.

    None: the file takes the one-file path (format not accepted, empty, header broken or short).
    """
    if lf.fmt not in contract.formats:
        return None
    if lf.fmt == "jsonl":
        return ("jsonl",)
    header = shared_header(lf, contract)
    return None if header is None else ("csv", *header)


def _parse(
    con: duckdb.DuckDBPyConnection, files: list[LandingFile], header: tuple[str, ...], compressed: bool
) -> None:
    """Records of files (one compression) appended to scratch._crows, parser rejects kept."""
    paths = "[" + ", ".join(lit(str(lf.path)) for lf in files) + "]"
    columns = "{" + ", ".join(f"{lit(h)}: 'VARCHAR'" for h in header) + "}"
    con.execute("DROP TABLE IF EXISTS _cparse_rej; DROP TABLE IF EXISTS _cparse_rej_scan")
    # The options of readers.stage_csv, so both paths accept and reject the same records.
    con.execute(
        f"""
        INSERT INTO scratch._crows
        SELECT * FROM read_csv({paths}, columns={columns}, header=true, auto_detect=false,
            delim=',', quote='"', escape='"', strict_mode=true, null_padding=false,
            store_rejects=true, rejects_table='_cparse_rej', rejects_scan='_cparse_rej_scan',
            filename={lit(FILENAME)}, compression={lit("gzip" if compressed else "none")})
        """
    )
    con.execute(
        """
        INSERT INTO scratch._crejected
        SELECT s.file_path, r.line,
               arg_min(r.error_type || ': ' || r.error_message, coalesce(r.column_idx, -1)),
               coalesce(arg_min(r.column_name, r.column_idx), 'field ' || (min(r.column_idx) + 1))
        FROM _cparse_rej r JOIN _cparse_rej_scan s USING (scan_id, file_id)
        GROUP BY s.file_path, r.line
        """
    )


def _staged_sql(contract: FeedContract, header: tuple[str, ...]) -> str:
    """The batch rows: parsed records at their line, then rejected records with the reason."""
    cols, extra_sql, nulls = csv_columns_sql(contract, header)
    return f"""
        WITH records AS (
            SELECT f._file, r.*,
                   row_number() OVER (PARTITION BY f._file ORDER BY r.rowid) AS i
            FROM scratch._crows r JOIN scratch._mfiles f ON f.filename = r.{ident(FILENAME)}
        )
        SELECT d._file, d.n AS _source_line, d.text AS _original, NULL::VARCHAR AS _parse_error,
               NULL::VARCHAR AS _error_column, {cols}, {extra_sql} AS _extra
        FROM records r JOIN scratch._cdata d USING (_file, i)
        UNION ALL
        SELECT f._file, j.line, p.text,
               CASE WHEN j.reason LIKE 'INVALID ENCODING%' THEN 'invalid UTF-8 encoding'
                    ELSE 'malformed CSV record: ' || j.reason END,
               j.column_name, {nulls}, NULL::JSON
        FROM scratch._crejected j JOIN scratch._mfiles f ON f.filename = j.file_path
        JOIN scratch._mphys p ON p._file = f._file AND p.n = j.line
    """


def stage_csv_files(
    con: duckdb.DuckDBPyConnection, files: list[LandingFile], header: tuple[str, ...], contract: FeedContract
) -> tuple[dict[int, StagedFile], list[int]]:
    """Stage files with this header into scratch._batch (column _file = index in files).

    Returns the staged counts per index and the indexes left out; those files must be staged
    one by one. Raises duckdb.Error when a read fails as a whole.
    """
    con.execute("CREATE OR REPLACE TABLE scratch._mlines (filename VARCHAR, text VARCHAR)")
    con.execute(
        "CREATE OR REPLACE TABLE scratch._crows ("
        + ", ".join(f"{ident(h)} VARCHAR" for h in (*header, FILENAME))
        + ")"
    )
    con.execute(
        "CREATE OR REPLACE TABLE scratch._crejected "
        "(file_path VARCHAR, line BIGINT, reason VARCHAR, column_name VARCHAR)"
    )
    rejected: set[str] = set()
    for compressed in (False, True):
        group = [lf for lf in files if lf.compressed == compressed]
        if group:
            rejected.update(read_lines(con, group, compressed))
            _parse(con, group, header, compressed)
    con.execute("CREATE OR REPLACE TABLE scratch._mfiles (_file INTEGER, filename VARCHAR)")
    kept = [(i, str(lf.path)) for i, lf in enumerate(files) if str(lf.path) not in rejected]
    # unnest, not executemany: the list may be empty (every file left out)
    con.execute(
        "INSERT INTO scratch._mfiles SELECT unnest(?::INTEGER[]), unnest(?::VARCHAR[])",
        [[i for i, _ in kept], [f for _, f in kept]],
    )
    number_lines(con)
    con.execute("DROP TABLE scratch._mlines")
    # A line with an odd number of quotes may open a record that spans lines.
    odd = {
        i
        for (i,) in con.execute(
            """
            SELECT DISTINCT _file FROM scratch._mphys
            -- strlen counts bytes without decoding; a quote is one byte
            WHERE (strlen(text) - strlen(replace(text, '"', ''))) % 2 = 1
            """
        ).fetchall()
    }
    if odd:
        con.execute("DELETE FROM scratch._mfiles WHERE list_contains(?, _file)", [sorted(odd)])
    # The data lines of each file: after the header, not blank, not rejected by the parser.
    con.execute(
        """
        CREATE OR REPLACE TABLE scratch._cdata AS
        SELECT p._file, p.n, p.text, row_number() OVER (PARTITION BY p._file ORDER BY p.n) AS i
        FROM scratch._mphys p
        ANTI JOIN (SELECT f._file, j.line FROM scratch._crejected j
                   JOIN scratch._mfiles f ON f.filename = j.file_path) j
            ON j._file = p._file AND j.line = p.n
        WHERE p.n > 1 AND coalesce(p.text, '') <> ''
        """
    )
    lines = dict(con.execute("SELECT _file, count(*) FROM scratch._cdata GROUP BY 1").fetchall())
    parsed = dict(
        con.execute(
            "SELECT f._file, count(*) FROM scratch._crows r "
            f"JOIN scratch._mfiles f ON f.filename = r.{ident(FILENAME)} GROUP BY 1"
        ).fetchall()
    )
    # One parsed record per data line: otherwise the one-file path names the file.
    kept = con.execute("SELECT list(_file) FROM scratch._mfiles").fetchone()[0] or []
    unmatched = {i for i in kept if lines.get(i, 0) != parsed.get(i, 0)}
    if unmatched:
        con.execute("DELETE FROM scratch._mfiles WHERE list_contains(?, _file)", [sorted(unmatched)])
    left_out = sorted(odd | unmatched | {i for i, lf in enumerate(files) if str(lf.path) in rejected})
    con.execute("CREATE OR REPLACE TABLE scratch._batch AS " + _staged_sql(contract, header))
    read = dict(con.execute("SELECT _file, count(*) FROM scratch._batch GROUP BY 1").fetchall())
    con.execute(
        "DROP TABLE scratch._mphys; DROP TABLE scratch._crows; "
        "DROP TABLE scratch._crejected; DROP TABLE scratch._cdata"
    )
    extra = [h for h in header if h not in set(contract.column_names)]
    staged = {
        i: StagedFile(rows_read=read.get(i, 0), extra_columns=extra)
        for i in range(len(files))
        if i not in left_out
    }
    return staged, left_out
