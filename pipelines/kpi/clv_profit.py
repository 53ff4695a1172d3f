"""CLV as net profit: margin after returns minus the cost to serve, in DuckDB SQL on marts.customer_clv.

Per customer, over the customer's history up to the calibration end (the model's own window):

    margin_rate   = sum(margin) / sum(amount) over the customer's order lines with a known unit_cost;
                    the population's rate where the customer has none; clv_default_margin_rate where
                    no line in the warehouse has a cost (margin_rate_source says which)
    return_rate   = min(1, refunds / net sales) of the customer (core.fct_returns over
                    core.fct_order_lines); the population's rate where the customer has no sales
    contacts      = inbound service contacts (core.fct_interactions) since the first purchase,
                    per purchase day (frequency + 1)
    discounted_transactions = clv / expected_spend: the discounted expected purchase days the
                    revenue CLV already sums (every clv_model prices clv = spend x that sum)

    clv_net_profit = clv * (1 - return_rate) * margin_rate
                     - cost_per_service_contact * contacts * discounted_transactions

Revenue refunded earns no margin (returned goods go back to stock); service contacts follow
purchases, so their cost fades with the customer's dropout and is discounted like the revenue.
A missing core table or cost column (small test warehouses) counts as no returns, no contacts,
no known cost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import duckdb

from pipelines.kpi.settings import KpiSettings
from sources.lib.duck import table_columns

PROFIT_COLUMNS = """discounted_transactions DOUBLE, margin_rate DOUBLE, margin_rate_source VARCHAR,
        return_rate DOUBLE, service_contacts_per_transaction DOUBLE, clv_net_profit DOUBLE"""

COSTED = "sum({column}) filter (where cost_amount is not null)::double"
_EMPTY = "select null::varchar as customer_key, 0::double as value where false"

RATES_SQL = """
    with sales as (
        select
            customer_key,
            sum(amount)::double as sales,
            {costed_sales} as costed_sales,
            {costed_margin} as costed_margin
        from core.fct_order_lines
        where customer_key is not null and transaction_at < $cal_end + interval 1 day
        group by customer_key
    ),
    refunds as ({refunds}),
    contacts as ({contacts}),
    population as (
        select
            sum(costed_margin) / nullif(sum(costed_sales), 0) as margin_rate,
            coalesce((select sum(value) from refunds) / nullif(sum(sales), 0), 0) as return_rate
        from sales
    ),
    rates as (
        select
            clv.customer_key,
            case when clv.expected_spend > 0 then clv.clv / clv.expected_spend else 0 end
                as discounted_transactions,
            case
                when sales.costed_sales > 0 then sales.costed_margin / sales.costed_sales
                when population.margin_rate is not null then population.margin_rate
                else $default_margin_rate
            end as margin_rate,
            case
                when sales.costed_sales > 0 then 'customer'
                when population.margin_rate is not null then 'population'
                else 'default'
            end as margin_rate_source,
            case
                when sales.sales > 0 then least(1.0, coalesce(refunds.value, 0) / sales.sales)
                else population.return_rate
            end as return_rate,
            coalesce(contacts.value, 0) / (clv.frequency + 1) as service_contacts_per_transaction
        from {clv} as clv
        cross join population
        left join sales on sales.customer_key = clv.customer_key
        left join refunds on refunds.customer_key = clv.customer_key
        left join contacts on contacts.customer_key = clv.customer_key
    )
"""

NET_PROFIT = """clv.clv * (1 - rates.return_rate) * rates.margin_rate
            - $cost_per_contact * rates.service_contacts_per_transaction * rates.discounted_transactions"""
RATE_COLUMNS = (
    "discounted_transactions",
    "margin_rate",
    "margin_rate_source",
    "return_rate",
    "service_contacts_per_transaction",
)

UPDATE_SQL = f"""{{rates}}
    update marts.customer_clv as clv
    set {", ".join(f"{c} = rates.{c}" for c in RATE_COLUMNS)}, clv_net_profit = {NET_PROFIT}
    from rates
    where rates.customer_key = clv.customer_key
"""

# For an engine without UPDATE (Spark): the scored customers in {clv} with the profit columns added.
SELECT_SQL = f"""{{rates}}
    select clv.*, {", ".join(f"rates.{c}" for c in RATE_COLUMNS)}, {NET_PROFIT} as clv_net_profit
    from {{clv}} as clv
    inner join rates on rates.customer_key = clv.customer_key
"""


REFUNDS_SQL = """
    select customer_key, sum(refund_amount)::double as value
    from core.fct_returns
    where customer_key is not null and returned_at < $cal_end + interval 1 day
    group by customer_key
"""

# Inbound contacts only: outbound calls are telesales, a marketing cost, not a cost to serve.
CONTACTS_SQL = """
    select interactions.customer_key, count(*)::double as value
    from core.fct_interactions as interactions
    inner join {clv} as clv on clv.customer_key = interactions.customer_key
    where interactions.direction = 'inbound'
        and interactions.started_at >= clv.first_purchase_date
        and interactions.started_at < $cal_end + interval 1 day
    group by interactions.customer_key
"""


def rates_sql(columns: Callable[[str], set[str]], clv: str = "marts.customer_clv") -> str:
    """The rates CTEs over the scored customers in `clv`; `columns(table)` names a core table's
    columns (empty when it is absent), and absent tables or cost columns become empty inputs."""
    costed = {"cost_amount", "margin"} <= columns("fct_order_lines")
    with_returns = {"customer_key", "refund_amount"} <= columns("fct_returns")
    with_contacts = {"customer_key", "direction"} <= columns("fct_interactions")
    return RATES_SQL.format(
        costed_sales=COSTED.format(column="amount") if costed else "null::double",
        costed_margin=COSTED.format(column="margin") if costed else "null::double",
        refunds=REFUNDS_SQL if with_returns else _EMPTY,
        contacts=CONTACTS_SQL if with_contacts else _EMPTY,
        clv="{clv}",
    ).replace("{clv}", clv)


def update_sql(con: duckdb.DuckDBPyConnection) -> str:
    """The UPDATE statement for this warehouse."""

    def columns(table: str) -> set[str]:
        return {name for name, _, _ in table_columns(con, "core", table)}

    return UPDATE_SQL.format(rates=rates_sql(columns))


def profit_params(settings: KpiSettings, cal_end: date) -> dict[str, object]:
    """The statement's parameters."""
    return {
        "cal_end": cal_end,
        "default_margin_rate": settings.clv_default_margin_rate,
        "cost_per_contact": settings.cost_per_service_contact,
    }


def apply_net_profit(con: duckdb.DuckDBPyConnection, settings: KpiSettings, cal_end: date) -> None:
    """Fill the net-profit columns of marts.customer_clv (inside the caller's transaction)."""
    con.execute(update_sql(con), profit_params(settings, cal_end))
