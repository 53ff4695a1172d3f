"""Layers reconciliation compares: daily POS and call-centre totals in raw, staging and core."""

from __future__ import annotations

from dataclasses import dataclass

from sources.lib.sqltext import to_utc_sql


@dataclass(frozen=True)
class Layer:
    name: str  # label in audit.reconciliation.layer_a / layer_b
    tables: tuple[str, ...]  # all must exist, else comparisons with this layer are skipped
    sql: str  # SELECT day, <measures> ... one row per day


@dataclass(frozen=True)
class Comparison:
    check_name: str
    asset: str  # the asset the check is attached to: the later of the two layers
    a: Layer
    b: Layer
    measure: str
    explain: Layer | None = None  # a layer whose difference from `a` is expected (re-sent rows)


def _latest(table: str, record_id: str) -> str:
    """Raw rows deduplicated exactly like staging's latest_load_rows macro (dbt_project/macros)."""
    return f"""
        SELECT * FROM {table}
        QUALIFY row_number() OVER (
            PARTITION BY {record_id} ORDER BY _loaded_at DESC, _load_id DESC, _source_line DESC
        ) = 1
    """


# Days are UTC calendar days: raw holds TIMESTAMPTZ, staging and core the UTC wall-clock time.
_POS_RAW = f"""
    SELECT CAST({to_utc_sql("transaction_at")} AS DATE) AS day, count(*) AS lines, sum(amount) AS amount
    FROM ({{rows}}) GROUP BY 1
"""
POS_RAW_ALL = Layer("raw.pos", ("raw.pos",), _POS_RAW.format(rows="SELECT * FROM raw.pos"))
POS_RAW = Layer(
    "raw.pos (latest per record id)",
    ("raw.pos",),
    _POS_RAW.format(rows=_latest("raw.pos", "transaction_id, line_number")),
)
POS_STAGING = Layer(
    "staging.stg_pos__transaction_lines",
    ("staging.stg_pos__transaction_lines",),
    """
    SELECT CAST(transaction_at AS DATE) AS day, count(*) AS lines, sum(amount) AS amount
    FROM staging.stg_pos__transaction_lines GROUP BY 1
    """,
)
# Sale lines are in fct_order_lines; return lines in fct_returns with the sign flipped
# (refund_amount = -amount), so the POS amount of a day is sales minus refunds.
POS_CORE = Layer(
    "core.fct_order_lines + core.fct_returns",
    ("core.fct_order_lines", "core.fct_returns"),
    """
    SELECT day, sum(lines) AS lines, sum(amount) AS amount FROM (
        SELECT CAST(transaction_at AS DATE) AS day, count(*) AS lines, sum(amount) AS amount
        FROM core.fct_order_lines GROUP BY 1
        UNION ALL
        SELECT CAST(returned_at AS DATE), count(*), -sum(refund_amount) FROM core.fct_returns GROUP BY 1
    ) GROUP BY day
    """,
)

_CC_RAW = f"""
    SELECT CAST({to_utc_sql("started_at")} AS DATE) AS day, count(*) AS interactions
    FROM ({{rows}}) GROUP BY 1
"""
CC_RAW_ALL = Layer("raw.callcenter", ("raw.callcenter",), _CC_RAW.format(rows="SELECT * FROM raw.callcenter"))
CC_RAW = Layer(
    "raw.callcenter (latest per record id)",
    ("raw.callcenter",),
    _CC_RAW.format(rows=_latest("raw.callcenter", "interaction_id")),
)
CC_STAGING = Layer(
    "staging.stg_callcenter__interactions",
    ("staging.stg_callcenter__interactions",),
    """
    SELECT CAST(started_at AS DATE) AS day, count(*) AS interactions
    FROM staging.stg_callcenter__interactions GROUP BY 1
    """,
)
CC_CORE = Layer(
    "core.fct_interactions",
    ("core.fct_interactions",),
    "SELECT CAST(started_at AS DATE) AS day, count(*) AS interactions FROM core.fct_interactions GROUP BY 1",
)

STG_POS, STG_CC = "staging.stg_pos__transaction_lines", "staging.stg_callcenter__interactions"
COMPARISONS: tuple[Comparison, ...] = (
    Comparison("reconcile_pos_amount_raw_vs_staging", STG_POS, POS_RAW, POS_STAGING, "amount", POS_RAW_ALL),
    Comparison("reconcile_pos_lines_raw_vs_staging", STG_POS, POS_RAW, POS_STAGING, "lines", POS_RAW_ALL),
    Comparison(
        "reconcile_pos_amount_staging_vs_core", "core.fct_order_lines", POS_STAGING, POS_CORE, "amount"
    ),
    Comparison("reconcile_pos_lines_staging_vs_core", "core.fct_order_lines", POS_STAGING, POS_CORE, "lines"),
    Comparison(
        "reconcile_interactions_raw_vs_staging", STG_CC, CC_RAW, CC_STAGING, "interactions", CC_RAW_ALL
    ),
    Comparison(
        "reconcile_interactions_staging_vs_core", "core.fct_interactions", CC_STAGING, CC_CORE, "interactions"
    ),
)
