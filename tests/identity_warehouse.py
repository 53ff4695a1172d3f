"""The records of identity tests written to a warehouse file as staged contact records, and resolved there."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from tests.identity_vocab import COLUMNS, SCHEMA


def write_records(db: Path | str, records: list[dict[str, object]], truth_csv: Path | None = None) -> None:
    """Write records as intermediate.int_contact_records (and the truth CSV) through DuckDB."""
    table = pa.Table.from_pydict({c: [r[c] for r in records] for c in COLUMNS}, schema=SCHEMA)
    con = duckdb.connect(str(db))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS intermediate")
        con.register("staged_records", table)
        con.execute("CREATE OR REPLACE TABLE intermediate.int_contact_records AS FROM staged_records")
        con.unregister("staged_records")
    finally:
        con.close()
    if truth_csv is not None:
        write_truth(truth_csv, records)


def write_truth(path: Path, records: list[dict[str, object]]) -> None:
    lines = ["source_system,source_record_id,person_id"]
    lines += [f"{r['source_system']},{r['source_record_id']},{r['person_id']}" for r in records]
    path.write_text("\n".join(lines) + "\n")


def resolve_file(db: Path, run_id: str) -> dict:
    """Resolve the records of the warehouse file `db` with default settings; the run summary."""
    from pipelines.identity import IdentitySettings, resolve_identities

    con = duckdb.connect(str(db))
    try:
        return resolve_identities(con, IdentitySettings(), run_id)
    finally:
        con.close()
