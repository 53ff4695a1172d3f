"""SQL text builders shared by the readers and checks: quoting, and trims that skip clean values.

DuckDB's trim() and rtrim() decode every character of the string to find Unicode space
separators (category Zs) at its ends, so their cost grows with the value's length: on 1.7M web
lines (~400 bytes) `rtrim(line, chr(13))` took 3.3 s and `trim(line) <> ''` 4.0 s, against
0.06 s and 0.15 s for the guarded forms below (one thread). Most values need no trim, and the
guards decide that from the ends and the byte length without decoding.
"""

from __future__ import annotations


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def trim_sql(expr: str) -> str:
    """trim(expr), computed only where it can change the value.

    trim() removes category Zs characters; in ASCII that is only the space. So a value that
    neither starts nor ends with a space and whose byte length equals its character length
    (pure ASCII) is its own trim. Non-ASCII values take the full trim.
    """
    return (
        f"CASE WHEN prefix({expr}, ' ') OR suffix({expr}, ' ') OR strlen({expr}) <> length({expr}) "
        f"THEN trim({expr}) ELSE {expr} END"
    )


def trim_to_null_sql(expr: str) -> str:
    """The value trimmed, '' as NULL."""
    return f"nullif({trim_sql(expr)}, '')"


def strip_cr_sql(expr: str) -> str:
    """rtrim(expr, chr(13)) for CRLF files, without scanning lines that do not end in CR."""
    return f"CASE WHEN suffix({expr}, chr(13)) THEN rtrim({expr}, chr(13)) ELSE {expr} END"


def not_blank_sql(expr: str) -> str:
    """Whether expr has a character other than spaces: trim(expr) <> '' without the right scan.

    If ltrim leaves '', the value was all spaces; otherwise something stays after trimming.
    """
    return f"ltrim({expr}) <> ''"


def to_utc_sql(expr: str) -> str:
    """TIMESTAMPTZ -> the UTC wall-clock TIMESTAMP, as `expr AT TIME ZONE 'UTC'` gives it.

    Both count microseconds since the epoch in UTC, so the conversion is integer arithmetic;
    AT TIME ZONE goes through ICU per value (2.95 s against 0.17 s on 15M values). The
    infinities, which epoch_us cannot represent, take the ICU path. Same rule as dbt's to_utc.
    """
    return (
        f"(CASE WHEN isfinite({expr}) THEN make_timestamp(epoch_us({expr})) "
        f"ELSE {expr} AT TIME ZONE 'UTC' END)"
    )
