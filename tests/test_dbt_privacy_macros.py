"""DuckDB's postcode_district (dbt_project/macros/privacy) rendered with Jinja and evaluated in DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import jinja2
import pytest

MACRO = (
    Path(__file__).resolve().parent.parent / "dbt_project" / "macros" / "privacy" / "postcode_district.sql"
)


@pytest.mark.parametrize(
    ("postcode", "district"),
    [
        ("SW1A 1AA", "SW1A"),  # UK: the outward code, as identity resolution's district
        ("M1 1AE", "M1"),
        ("EC1A 1BB", "EC1A"),
        ("B33 8TH", "B33"),
        ("D02 X285", "D02"),  # Eircode routing key
        ("K1A 0B1", "K1A"),  # Canadian forward sortation area
        ("1234 AB", "12"),  # elsewhere: two characters
        ("10115", "10"),
        ("", None),
        (None, None),
    ],
)
def test_postcode_district(postcode: str | None, district: str | None) -> None:
    macro = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(MACRO.read_text()).module
    assert (
        duckdb.sql(
            f"select {macro.default__postcode_district('p')} from (select ?::varchar as p)", params=[postcode]
        ).fetchone()[0]
        == district
    )
