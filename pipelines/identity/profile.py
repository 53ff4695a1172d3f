"""The population profile a Splink model was trained on, and when a new population calls for retraining."""

from __future__ import annotations

from typing import Any

import duckdb

# Key of the profile inside the stored model JSON; removed before the model reaches Splink.
PROFILE_KEY = "crm360_profile"
# The comparison inputs whose completeness shapes m and u: a feed that brings no e-mails or no dobs
# changes what agreement on the rest means.
PROFILE_COLUMNS = ("fn", "ln", "dob", "postcode", "address_line1", "email_canonical", "phone")


def population_profile(con: duckdb.DuckDBPyConnection, table: str = "rec") -> dict[str, Any]:
    """Records and the share of them carrying each comparison input."""
    shares = ", ".join(f"avg(({c} IS NOT NULL)::INT) AS {c}" for c in PROFILE_COLUMNS)
    row = con.execute(f"SELECT count(*), {shares} FROM {table}").fetchone()
    return {
        "records": int(row[0]),
        "completeness": {c: round(float(v or 0.0), 4) for c, v in zip(PROFILE_COLUMNS, row[1:], strict=True)},
    }


def retrain_reason(
    stored: dict[str, Any] | None, current: dict[str, Any], growth: float, shift: float
) -> str | None:
    """Why the stored model no longer fits this population, or None when it still does.

    A model without a profile (trained before profiles were kept) is retrained once.
    """
    if not stored:
        return "no profile stored with the model"
    old_n, new_n = max(stored["records"], 1), max(current["records"], 1)
    if new_n / old_n > growth or old_n / new_n > growth:
        return f"records {old_n:,} -> {new_n:,} (beyond a factor {growth:g})"
    for col, share in current["completeness"].items():
        before = stored["completeness"].get(col, 0.0)
        if abs(share - before) > shift:
            return f"completeness of {col} {before:.2f} -> {share:.2f} (beyond {shift:.2f})"
    return None


def split_model(model: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(Splink settings, profile) of a stored model."""
    settings = {k: v for k, v in model.items() if k != PROFILE_KEY}
    return settings, model.get(PROFILE_KEY)
