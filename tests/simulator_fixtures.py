"""Shared simulator fixtures (a pytest plugin: each population is simulated once per session)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from sources.contracts import CONTACT_COLUMN_NAMES
from sources.dev.simulator import simulate
from sources.feeds import FEEDS

SMALL = {"customers": 300, "days": 30, "seed": 11}
# 90 days from 10 October: a telesales campaign, Black Friday, the December peak, all three vendors.
MEDIUM = {"customers": 1500, "days": 90, "seed": 5, "start_date": date(2024, 10, 10)}
DIRS = {
    "web": "web",
    "pos": "pos",
    "callcenter": "callcenter",
    "response_list": "lists/response",
    "compiled_list": "lists/compiled",
    "campaign_audience": "lists/audience",
    "pos_order_events": "pos_order_events",
}
# Records that identify a person, by feed: (id column, SQL condition on a landing row).
CONTACT = " OR ".join(f"{c} IS NOT NULL" for c in CONTACT_COLUMN_NAMES)
BEARING = {
    "web": (
        "event_id",
        f"user_id IS NOT NULL OR event_type IN ('login', 'signup', 'form_submit') OR {CONTACT}",
    ),
    "pos": ("transaction_id", f"customer_ref IS NOT NULL OR {CONTACT}"),
    "callcenter": ("interaction_id", f"customer_ref IS NOT NULL OR {CONTACT}"),
    "response_list": ("response_id", "true"),
    "compiled_list": ("record_id", "true"),
}
TS = "TRY_CAST({} AS TIMESTAMPTZ)"


def _run(root: Path, **kw) -> dict:
    return simulate(out=root / "landing", **kw)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def q(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


@pytest.fixture(scope="session")
def small(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("small")
    _run(root, **SMALL)
    return root


@pytest.fixture(scope="session")
def medium(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("medium")
    return root, _run(root, **MEDIUM)


def _load_csv(con: duckdb.DuckDBPyConnection, feed: str, files: list[str], names: str, types: str) -> None:
    """Strict RFC 4180 parse; rows the parser rejects come back as all-NULL rows with _rejected."""
    con.execute(f"""INSERT INTO {feed} SELECT {names}, parse_filename(filename), false, true
        FROM read_csv({files}, columns={types}, header=true, auto_detect=false, delim=',', quote='"',
            escape='"', strict_mode=true, null_padding=false, store_rejects=true, filename=true,
            rejects_table='rej_{feed}', rejects_scan='scan_{feed}')""")
    nulls = ", ".join("NULL" for _ in names.split(", "))
    con.execute(f"""INSERT INTO {feed} SELECT {nulls}, parse_filename(s.file_path), true, true
        FROM (SELECT DISTINCT scan_id, file_id, line FROM rej_{feed})
        JOIN scan_{feed} s USING (scan_id, file_id)""")


def _load_jsonl(con: duckdb.DuckDBPyConnection, feed: str, files: list[str], cols: tuple[str, ...]) -> None:
    """One JSON object per line; broken lines become '{}' first (JSON functions must not see them)."""
    extract = ", ".join(f"json_extract_string(obj, '$.{c}')" for c in cols)
    con.execute(f"""INSERT INTO {feed}
        SELECT {extract}, parse_filename(filename), NOT ok, list_has_all({list(cols)}, json_keys(obj))
        FROM (SELECT *, CASE WHEN ok THEN line ELSE '{{}}' END AS obj
              FROM (SELECT line, filename, json_valid(line) AS ok FROM read_csv({files},
                    columns={{'line': 'VARCHAR'}}, header=false, auto_detect=false, delim='\\0', quote='',
                    escape='', filename=true)))""")


@pytest.fixture(scope="session")
def db(medium) -> duckdb.DuckDBPyConnection:
    """One table per feed: every row of every original (not re-sent) file as text, with `_file`,
    `_rejected` (the parser refused the line) and `_violations` (contract checks that fail)."""
    root, _ = medium
    con = duckdb.connect()
    for feed, sub in DIRS.items():
        contract = FEEDS[feed]
        cols = contract.column_names
        files = [p for p in sorted((root / "landing" / sub).glob("*")) if "_resent" not in p.name]
        csvs = [str(p) for p in files if p.suffix == ".csv"]
        jsons = [str(p) for p in files if p.suffix != ".csv"]
        for p in csvs:
            assert Path(p).read_text(encoding="utf-8").split("\n", 1)[0] == ",".join(cols), p
        con.execute(
            f"CREATE TABLE {feed} ({', '.join(f'{c} VARCHAR' for c in cols)}, _file VARCHAR, "
            "_rejected BOOLEAN, _keys_ok BOOLEAN)"
        )
        if csvs:
            types = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + "}"
            _load_csv(con, feed, csvs, ", ".join(cols), types)
        if jsons:
            _load_jsonl(con, feed, jsons, cols)
        checks = []
        for c in contract.columns:
            if c.required:
                checks.append(f"({c.name} IS NULL)::INT")
            if c.allowed:
                checks.append(f"coalesce({c.name} NOT IN ({', '.join(map(repr, c.allowed))}), false)::INT")
            if c.type != "VARCHAR":
                checks.append(f"({c.name} IS NOT NULL AND TRY_CAST({c.name} AS {c.type}) IS NULL)::INT")
        con.execute(f"ALTER TABLE {feed} ADD COLUMN _violations INT")
        broken = " + ".join(checks)
        con.execute(f"UPDATE {feed} SET _violations = CASE WHEN _rejected THEN 0 ELSE {broken} END")
    for name in ("records", "persons"):
        path = root / "truth" / f"{name}.csv"
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{path}', all_varchar=true)")
    return con
