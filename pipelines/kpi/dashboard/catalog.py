"""The dashboard's charts in page order: name -> (title in plain language, figure function)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from pipelines.kpi.dashboard import charts as base
from pipelines.kpi.dashboard import charts_crm as crm
from pipelines.kpi.dashboard.formatting import Money

Chart = Callable[[pd.DataFrame, Money], go.Figure]

# name -> (title, figure): the page shows them in this order.
CHARTS: dict[str, tuple[str, Chart]] = {
    "acquisition": (
        "New customers per month (month of their first purchase or contact), by how they first reached us",
        crm.acquisition,
    ),
    "cohort_retention": (
        "Do new customers come back? Share of each month's new customers buying k months later "
        "(x = month not over yet)",
        base.cohort_retention,
    ),
    "churn": ("Customers lost per month (churned) and churn rate", crm.churn),
    "churn_status": ("Customers today: active, at risk and churned", crm.churn_status),
    "clv_distribution": (
        "How much customers are expected to spend in future (predicted CLV)",
        base.clv_distribution,
    ),
    "pareto": ("How much of the revenue and margin the top customers bring", base.pareto),
    "rfm_segments": ("Customer segments (recency, frequency, spend): size and revenue", base.rfm_segments),
    "loyalty": ("Loyalty members against other customers", crm.loyalty),
    "satisfaction": (
        "Customer satisfaction after service contacts (CSAT and NPS) per month",
        crm.satisfaction,
    ),
    "call_center": ("Customer service: calls answered in time and calls abandoned", base.call_center),
    "campaign_lift": (
        "Campaigns: purchases by contacted customers against the hold-out group",
        base.campaign_lift,
    ),
    "opt_in": ("Marketing permission by channel", crm.opt_in),
    "product_pairs": ("Products bought together: the 10 most frequent pairs", crm.product_pairs),
    "perfect_order": ("Perfect orders per month and what spoils them", base.perfect_order),
    "returns_by_reason": ("Returns by reason", base.returns_by_reason),
    "forecast": ("Weekly net sales: actual, backtest and forecast with likely range", base.forecast),
}
