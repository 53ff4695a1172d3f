"""Customer KPI macros (dbt_project/macros/kpi) rendered with Jinja and evaluated in DuckDB, cell by cell.

dbt unit tests only reach the RFM grid through the cells a fixture happens to produce; here every
one of the 25 R x F cells, every band boundary and the NPS edge cases are checked directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pytest

MACRO_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "macros" / "kpi"
MACRO_FILES = ("kpi_safe_ratio.sql", "kpi_nps.sql", "kpi_rfm.sql", "kpi_bands.sql")

# Rows R = 5 .. 1, columns F = 1 .. 5: the grid documented in macros/kpi/kpi_rfm.sql.
RFM_GRID = {
    5: ["new_customers", "potential_loyalists", "potential_loyalists", "champions", "champions"],
    4: ["promising", "potential_loyalists", "potential_loyalists", "loyal", "loyal"],
    3: ["about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"],
    2: ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"],
    1: ["lost", "hibernating", "at_risk", "at_risk", "cant_lose"],
}


@pytest.fixture(scope="module")
def macros() -> Any:
    """The macro files as one Jinja template module, so macros can call each other as in dbt."""
    source = "\n".join((MACRO_DIR / name).read_text() for name in MACRO_FILES)
    return jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(source).module


def _scalar(sql: str) -> Any:
    return duckdb.sql(sql).fetchone()[0]


def test_rfm_segment_names_every_cell(macros: Any) -> None:
    rows = duckdb.sql(
        f"""
        select r, f, {macros.kpi_rfm_segment("r", "f")} as segment
        from (select range as r from range(1, 6)) cross join (select range as f from range(1, 6))
        """
    ).fetchall()
    got = {(r, f): segment for r, f, segment in rows}
    expected = {(r, f): RFM_GRID[r][f - 1] for r in range(1, 6) for f in range(1, 6)}
    assert got == expected


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([10, 9, 8, 7, 6, 0, None], 0.0),  # 2 promoters, 2 passives, 2 detractors; NULL is no answer
        ([9, 9, 9, 5], 50.0),
        ([6, 6], -100.0),
        ([7, 8], 0.0),
        ([None], None),
    ],
)
def test_nps(macros: Any, scores: list[int | None], expected: float | None) -> None:
    values = ", ".join("(null::integer)" if s is None else f"({s})" for s in scores)
    got = _scalar(f"select {macros.kpi_nps('score')} from (values {values}) as answers(score)")
    assert got == expected


@pytest.mark.parametrize(
    ("age", "band"),
    [
        ("null", "unknown"),
        ("18", "under_25"),
        ("24", "under_25"),
        ("25", "25_to_34"),
        ("34", "25_to_34"),
        ("35", "35_to_44"),
        ("54", "45_to_54"),
        ("64", "55_to_64"),
        ("65", "65_plus"),
        ("90", "65_plus"),
    ],
)
def test_age_band_boundaries(macros: Any, age: str, band: str) -> None:
    assert _scalar(f"select {macros.kpi_age_band(f'cast({age} as integer)')}") == band


@pytest.mark.parametrize(
    ("orders", "band"),
    [
        ("null", "none"),
        ("0", "none"),
        ("1", "one_time"),
        ("2", "repeat"),
        ("3", "repeat"),
        ("4", "regular"),
        ("6", "regular"),
        ("7", "frequent"),
        ("24", "frequent"),
    ],
)
def test_frequency_band_boundaries(macros: Any, orders: str, band: str) -> None:
    assert _scalar(f"select {macros.kpi_frequency_band(f'cast({orders} as integer)')}") == band


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [("1", "4", 0.25), ("3", "0", None), ("3", "null", None), ("0", "5", 0.0)],
)
def test_safe_ratio(macros: Any, numerator: str, denominator: str, expected: float | None) -> None:
    assert _scalar(f"select {macros.kpi_safe_ratio(numerator, denominator)}") == expected
