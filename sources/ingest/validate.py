"""Contract checks on staged text records, written as one SQL pass that lists every violation."""

from __future__ import annotations

from sources.contracts import FeedContract


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def violation_exprs(contract: FeedContract) -> list[tuple[str, str]]:
    """(column, SQL yielding a message or NULL) for every rule the contract states, in column order."""
    rules: list[tuple[str, str]] = []
    for c in contract.columns:
        col = _q(c.name)
        if c.required:
            missing = _lit(f"missing required column {c.name}")
            rules.append((c.name, f"CASE WHEN {col} IS NULL THEN {missing} END"))
        prefix = _lit(f"column {c.name}: '")
        if c.type != "VARCHAR":
            suffix = _lit(f"' is not a valid {c.type}")
            rules.append(
                (
                    c.name,
                    f"CASE WHEN {col} IS NOT NULL AND TRY_CAST({col} AS {c.type}) IS NULL "
                    f"THEN {prefix} || {col} || {suffix} END",
                )
            )
        if c.allowed:
            allowed = ", ".join(_lit(a) for a in c.allowed)
            suffix = _lit(f"' is not one of {', '.join(c.allowed)}")
            rules.append(
                (
                    c.name,
                    f"CASE WHEN {col} IS NOT NULL AND lower({col}) NOT IN ({allowed}) "
                    f"THEN {prefix} || {col} || {suffix} END",
                )
            )
    return rules


def checked_sql(contract: FeedContract, missing_header: list[str], source: str = "scratch._staged") -> str:
    """SELECT over the staged records adding `_errors` (messages) and `_error_columns`, aligned lists."""
    rules = violation_exprs(contract)
    msgs = [expr for _, expr in rules]
    cols = [f"CASE WHEN ({expr}) IS NOT NULL THEN {_lit(name)} END" for name, expr in rules]
    if missing_header:
        # A header without a required column breaks the contract for every record of the file.
        text = f"file header lacks required column(s) {', '.join(missing_header)}"
        msgs.insert(0, _lit(text))
        cols.insert(0, _lit(missing_header[0]))
    return f"""
        SELECT *,
               -- a record the parser could not split has no columns worth checking
               CASE WHEN _parse_error IS NOT NULL THEN [_parse_error]
                    ELSE list_filter([{", ".join(msgs)}], x -> x IS NOT NULL) END AS _errors,
               CASE WHEN _parse_error IS NOT NULL THEN [_error_column]
                    ELSE [{", ".join(cols)}] END AS _error_columns
        FROM {source}
    """


def typed_select(contract: FeedContract) -> str:
    """Contract columns cast to their types, for rows that passed every check."""
    return ", ".join(
        _q(c.name) if c.type == "VARCHAR" else f"CAST({_q(c.name)} AS {c.type}) AS {_q(c.name)}"
        for c in contract.columns
    )
