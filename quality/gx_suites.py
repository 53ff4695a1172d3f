"""Great Expectations suites per feed, from the feed contracts plus the value ranges they state in words."""

from __future__ import annotations

import great_expectations.expectations as gxe
from great_expectations.expectations.metadata_types import FailureSeverity

from quality.gx_groups import LOAD_ID
from sources.contracts import FeedContract

# pandas dtypes a DuckDB type arrives as through `.df()`: integers come as int32, or as the
# nullable Int32 when the batch holds a NULL; decimals as float64; timestamps are converted to
# naive UTC in the batch query (GX cannot name a tz-aware dtype in a type list).
PANDAS_TYPES: dict[str, list[str]] = {
    "INTEGER": ["int8", "int16", "int32", "int64", "Int8Dtype", "Int16Dtype", "Int32Dtype", "Int64Dtype"],
    "BIGINT": ["int64", "Int64Dtype"],
    "DECIMAL": ["float64", "float32", "Float64Dtype"],
    "BOOLEAN": ["bool", "BooleanDtype"],
    "TIMESTAMPTZ": ["datetime64[us]", "datetime64[ns]", "datetime64[ms]", "datetime64[s]"],
    "DATE": ["datetime64[us]", "datetime64[ns]", "datetime64[ms]", "datetime64[s]"],
}

# Ranges the contract descriptions state ("1-5", "positive", "from 1"): column -> (min, max).
RANGES: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "pos": {
        "line_number": (1, None),
        "unit_price": (0, None),
        "unit_cost": (0, None),
        "discount": (0, None),
        "quantity_ordered": (0, None),
        "quantity_shipped": (0, None),
    },
    "callcenter": {"csat": (1, 5), "nps": (0, 10), "hold_seconds": (0, None), "wrap_seconds": (0, None)},
}

# Values that fit the type but not the business: a POS line of zero units is neither a sale
# (quantity > 0) nor a return (quantity < 0).
FORBIDDEN: dict[str, dict[str, list[object]]] = {"pos": {"quantity": [0]}}

# (later, earlier): a contact cannot end before it started.
ORDERED: dict[str, list[tuple[str, str]]] = {"callcenter": [("ended_at", "started_at")]}


def _base_type(duckdb_type: str) -> str:
    return duckdb_type.split("(")[0].upper()


def type_expectations(contract: FeedContract) -> list[gxe.Expectation]:
    """Every typed (non-VARCHAR) column arrives with a dtype of its contract type."""
    return [
        gxe.ExpectColumnValuesToBeInTypeList(
            column=c.name, type_list=PANDAS_TYPES[_base_type(c.type)], severity=FailureSeverity.CRITICAL
        )
        for c in contract.columns
        if _base_type(c.type) in PANDAS_TYPES
    ]


def contract_expectations(contract: FeedContract) -> list[gxe.Expectation]:
    """Required columns not null and allowed values in their set (the batch query lower-cases
    them, as the loader compares them case-insensitively)."""
    out: list[gxe.Expectation] = [
        gxe.ExpectColumnValuesToNotBeNull(column=c.name, severity=FailureSeverity.CRITICAL)
        for c in contract.required
    ]
    out += [
        gxe.ExpectColumnValuesToBeInSet(
            column=c.name, value_set=list(c.allowed), severity=FailureSeverity.CRITICAL
        )
        for c in contract.columns
        if c.allowed
    ]
    return out


def value_expectations(contract: FeedContract) -> list[gxe.Expectation]:
    """Ranges, forbidden values and time order that the contract states in words."""
    out: list[gxe.Expectation] = [
        gxe.ExpectColumnValuesToBeBetween(
            column=col, min_value=lo, max_value=hi, severity=FailureSeverity.CRITICAL
        )
        for col, (lo, hi) in RANGES.get(contract.name, {}).items()
    ]
    out += [
        gxe.ExpectColumnValuesToNotBeInSet(column=col, value_set=values, severity=FailureSeverity.CRITICAL)
        for col, values in FORBIDDEN.get(contract.name, {}).items()
    ]
    out += [
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=later,
            column_B=earlier,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            severity=FailureSeverity.CRITICAL,
        )
        for later, earlier in ORDERED.get(contract.name, [])
    ]
    return out


def uniqueness_expectation(contract: FeedContract) -> gxe.Expectation:
    """Record id unique within each load (file): a warning only, because a file may legitimately
    repeat a record (a correction further down); staging keeps the last occurrence.

    A GX batch holds several loads, and a record re-sent in a later file is no repeat: the load id
    column joins the key. The check keeps its per-file name (meta.check_name), so its history in
    audit.check_results and the gate's (check, load) keys stay the same. Rows with a missing id
    part are left to the not-null expectations, as the one-column check ignored missing ids.
    """
    ids = list(contract.record_id)
    if len(ids) == 1:
        name = f"gx:expect_column_values_to_be_unique:{ids[0]}"
    else:
        name = f"gx:expect_compound_columns_to_be_unique:{','.join(ids)}"
    return gxe.ExpectCompoundColumnsToBeUnique(
        column_list=[LOAD_ID, *ids],
        ignore_row_if="any_value_is_missing",
        severity=FailureSeverity.WARNING,
        meta={"check_name": name},
    )


def feed_expectations(contract: FeedContract) -> list[gxe.Expectation]:
    return [
        *contract_expectations(contract),
        *type_expectations(contract),
        *value_expectations(contract),
        uniqueness_expectation(contract),
    ]
