"""Original bytes of the lines DuckDB's line reader rejects (invalid UTF-8, longer than its maximum).

DuckDB keeps such a line in its rejects table as text with invalid bytes replaced (`Jos??`, a
comma lost beside them) and cut at 10,000 characters. For the few rejected lines of a file, the
file is streamed once here and each line's first ORIGINAL_MAX_BYTES bytes and full length are
kept: audit.quarantine stores them as `original_bytes` and `original_length`, and `original` gets
the bytes decoded with backslash escapes (`Jos\\xe9,Garc\\xeda`), so nothing is altered silently.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import BinaryIO

import duckdb

from sources.ingest.files import LandingFile

ORIGINAL_MAX_BYTES = 64 << 10  # bytes of a rejected line kept in audit.quarantine.original_bytes
_CHUNK = 1 << 20


def _lines(f: BinaryIO) -> Iterator[tuple[int, bytes, int]]:
    """(line number, first ORIGINAL_MAX_BYTES bytes, length in bytes) per physical line, CR/LF off."""
    n, head, size = 1, bytearray(), 0
    while chunk := f.readline(_CHUNK):
        end = chunk.endswith(b"\n")
        body = chunk[:-1] if end else chunk
        size += len(body)
        if len(head) < ORIGINAL_MAX_BYTES:
            head += body[: ORIGINAL_MAX_BYTES - len(head)]
        if end:
            if head.endswith(b"\r") and size <= ORIGINAL_MAX_BYTES:
                head, size = head[:-1], size - 1
            yield n, bytes(head), size
            n, head, size = n + 1, bytearray(), 0
    if size:
        yield n, bytes(head), size


def recover_originals(con: duckdb.DuckDBPyConnection, lf: LandingFile, lines: list[int]) -> None:
    """Fill scratch._raw_bytes (n, original_bytes, original_length, text) for these line numbers."""
    con.execute(
        "CREATE OR REPLACE TABLE scratch._raw_bytes "
        "(n BIGINT, original_bytes BLOB, original_length BIGINT, text VARCHAR)"
    )
    wanted, rows = set(lines), []
    if not wanted:
        return
    last = max(wanted)
    with (gzip.open if lf.compressed else open)(lf.path, "rb") as f:
        for n, head, size in _lines(f):
            if n in wanted:
                text = head.decode("utf-8", errors="backslashreplace")
                cut = f" ... [{size - len(head)} more bytes]" if size > len(head) else ""
                rows.append((n, head, size, text + cut))
            if n >= last:
                break
    if rows:
        con.executemany("INSERT INTO scratch._raw_bytes VALUES (?, ?, ?, ?)", rows)
