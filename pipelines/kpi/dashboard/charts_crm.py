"""Figures of the CRM marts added in issue 23: acquisition, churn, loyalty, satisfaction, opt-in, pairs."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from pipelines.kpi.dashboard.formatting import Money
from pipelines.kpi.dashboard.labels import (
    CHANNELS,
    CHURN_RISK_REASONS,
    CHURN_STATUS,
    LOYALTY_STATUS,
    MARKETING_CHANNELS,
    NEXT_ACTIONS,
    SERVICE_CHANNELS,
    label,
    labels,
)
from pipelines.kpi.dashboard.style import GREY, PALETTE, layout, month_labels

# "" = no churn_risk_reason (active customers)
REASON_COLORS = {
    "": PALETTE[2],
    "complaint": PALETTE[3],
    "bad_experience": PALETTE[1],
    "falling_frequency": PALETTE[4],
}


def acquisition(df: pd.DataFrame, money: Money) -> go.Figure:
    """Stacked bars of new customers per month by first-touch channel; warm-up months labelled."""
    frame = df.assign(month=month_labels(df["acquisition_month"], df["is_warm_up"]))
    months = list(dict.fromkeys(frame["month"]))
    fig = go.Figure()
    for i, (channel, part) in enumerate(frame.groupby("channel", sort=True)):
        name = label(CHANNELS, channel)
        fig.add_bar(
            x=part["month"],
            y=part["new_customers"],
            name=name,
            marker_color=PALETTE[i % len(PALETTE)],
            hovertemplate=f"%{{x}}: %{{y:,}} new customers first seen via {name}<extra></extra>",
        )
    return layout(
        fig,
        barmode="stack",
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": months},
        yaxis_title="new customers",
        # Up to 11 channels: a legend beside the plot keeps clear of the month labels.
        legend={"orientation": "v", "x": 1.02, "y": 1, "title": {"text": "first reached us via"}},
        margin={"l": 70, "r": 20, "t": 20, "b": 70},
    )


def churn(df: pd.DataFrame, money: Money) -> go.Figure:
    """Churned customers per month (bars) and the churn rate (line); a month not over is labelled."""
    months = month_labels(df["month"], ~df["month_complete"].astype(bool), "not over")
    fig = go.Figure()
    fig.add_bar(
        x=months,
        y=df["churned"],
        name="customers who churned",
        marker_color=PALETTE[3],
        customdata=df["active_at_start"],
        hovertemplate="%{x}: %{y:,} churned of %{customdata:,} active at the start<extra></extra>",
    )
    fig.add_scatter(
        x=months,
        y=df["churn_rate"],
        name="churn rate",
        yaxis="y2",
        mode="lines+markers",
        line={"color": GREY},
        hovertemplate="%{x}: churn rate %{y:.1%}<extra></extra>",
    )
    return layout(
        fig,
        xaxis={"type": "category"},
        yaxis={"title": "customers who churned", "rangemode": "tozero"},
        yaxis2={
            "title": "churn rate",
            "tickformat": ".1%",
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
        },
        margin={"l": 70, "r": 70, "t": 20, "b": 50},
    )


def churn_status(df: pd.DataFrame, money: Money) -> go.Figure:
    """Customers by status today as customer_churn says, stacked by churn_risk_reason; the
    customers' next actions in the hover text."""
    statuses = labels(CHURN_STATUS, list(dict.fromkeys(df["status"])))
    fig = go.Figure()
    for reason, part in df.groupby(df["reason"].fillna(""), sort=False):
        name = label(CHURN_RISK_REASONS, reason) if reason else "No risk sign"
        actions = [
            ", ".join(f"{label(NEXT_ACTIONS, a).lower()} {n:,}" for a, n in zip(acts, ns, strict=True))
            for acts, ns in zip(part["next_actions"], part["next_action_customers"], strict=True)
        ]
        fig.add_bar(
            x=labels(CHURN_STATUS, part["status"]),
            y=part["customers"],
            name=name,
            marker_color=REASON_COLORS.get(reason, GREY),
            customdata=actions,
            hovertemplate=f"%{{x}}, {name}: %{{y:,}} customers<br>next action: %{{customdata}}"
            "<extra></extra>",
        )
    return layout(
        fig,
        barmode="stack",
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": statuses},
        yaxis_title="customers",
    )


def loyalty(df: pd.DataFrame, money: Money) -> go.Figure:
    """Members against non-members: retention, repeat buying and revenue share; amounts in hover."""
    metrics = {
        "retention_rate": "still buying (not churned)",
        "repeat_rate": "bought more than once",
        "revenue_share": "share of all revenue",
    }
    fig = go.Figure()
    for i, row in enumerate(df.to_dict("records")):
        name = label(LOYALTY_STATUS, row["loyalty_status"])
        extra = (
            f"{name}: {row['customers']:,} customers, {row['buyers']:,} buyers,<br>"
            f"revenue {money.text(_float(row['revenue']))}, "
            f"average predicted value {money.text(_float(row['avg_predicted_clv']))}"
        )
        fig.add_bar(
            x=list(metrics.values()),
            y=[_float(row[m]) for m in metrics],
            name=name,
            marker_color=PALETTE[i % len(PALETTE)],
            hovertemplate="%{x}: %{y:.1%}<br>" + extra + "<extra></extra>",
        )
    return layout(fig, barmode="group", yaxis={"title": "share", "tickformat": ".0%", "rangemode": "tozero"})


def satisfaction(df: pd.DataFrame, money: Money) -> go.Figure:
    """Average CSAT (1-5, left) and NPS (-100..100, right) of all channels; channels' NPS on click."""
    fig = go.Figure()
    total = df[df["channel"] == "all"]
    fig.add_scatter(
        x=total["month"],
        y=total["avg_csat"],
        name="CSAT, average score (1-5)",
        mode="lines+markers",
        line={"color": PALETTE[0], "width": 3},
        customdata=total["csat_responses"],
        hovertemplate="%{x|%b %Y}: CSAT %{y:.2f} (%{customdata:,} answers)<extra></extra>",
    )
    channels = df[df["channel"] != "all"]
    for i, (channel, part) in enumerate([("all", total), *channels.groupby("channel", sort=True)]):
        name = "NPS, " + label(SERVICE_CHANNELS, channel).lower()
        fig.add_scatter(
            x=part["month"],
            y=part["nps"],
            name=name,
            yaxis="y2",
            mode="lines+markers",
            visible=True if channel == "all" else "legendonly",
            line={
                "color": PALETTE[(i + 1) % len(PALETTE)],
                "width": 3 if channel == "all" else 1.5,
                "dash": "solid" if channel == "all" else "dot",
            },
            customdata=part["nps_responses"],
            hovertemplate=f"%{{x|%b %Y}}: {name} %{{y:+.0f}} (%{{customdata:,}} answers)<extra></extra>",
        )
    return layout(
        fig,
        xaxis={"dtick": "M1", "tickformat": "%b %Y"},
        yaxis={"title": "CSAT (1 = very unhappy, 5 = very happy)", "range": [1, 5.05]},
        yaxis2={
            "title": "NPS (-100 to +100)",
            "range": [-100, 100],
            "tickvals": [-100, -50, 0, 50, 100],
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "zeroline": True,
        },
        margin={"l": 70, "r": 70, "t": 20, "b": 50},
    )


def opt_in(df: pd.DataFrame, money: Money) -> go.Figure:
    """Stacked horizontal bars per channel: opted in (reachable or not), opted out, never asked."""
    channels = labels(MARKETING_CHANNELS, df["channel"])
    parts = (
        ("reachable", "opted in, can be contacted", PALETTE[2]),
        ("opted_in_unreachable", "opted in, no usable contact", "#98df8a"),
        ("opted_out", "opted out", PALETTE[3]),
        ("not_asked", "never asked", "#c7c7c7"),
    )
    rates = [f"{r:.1%}" if pd.notna(r) else "n/a" for r in df["opt_in_rate"]]
    fig = go.Figure()
    for col, name, color in parts:
        fig.add_bar(
            y=channels,
            x=df[col],
            name=name,
            orientation="h",
            marker_color=color,
            customdata=rates,
            hovertemplate=f"%{{y}}: %{{x:,}} customers {name} (opt-in rate %{{customdata}})<extra></extra>",
        )
    return layout(
        fig,
        barmode="stack",
        xaxis_title="customers",
        yaxis={"autorange": "reversed", "type": "category"},
        margin={"l": 130, "r": 20, "t": 20, "b": 50},
    )


def product_pairs(df: pd.DataFrame, money: Money) -> go.Figure:
    """The most frequent pairs with lift above 1: baskets holding both, lift and confidence in hover."""
    names = [f"{a} + {b}" for a, b in zip(df["name_a"], df["name_b"], strict=True)]
    detail = [
        f"bought together {lift:.1f}x as often as by chance; {ca:.0%} of baskets with the first also "
        f"hold the second, {cb:.0%} the other way round"
        for lift, ca, cb in zip(df["lift"], df["confidence_a_to_b"], df["confidence_b_to_a"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            y=names,
            x=df["baskets_with_both"],
            orientation="h",
            marker_color=PALETTE[5],
            text=[f"lift {v:.1f}" for v in df["lift"]],
            textposition="auto",
            customdata=detail,
            hovertemplate="%{y}: %{x:,} baskets<br>%{customdata}<extra></extra>",
        )
    )
    return layout(
        fig,
        xaxis_title="baskets holding both products",
        yaxis={"autorange": "reversed", "type": "category", "automargin": True},
        margin={"l": 20, "r": 20, "t": 20, "b": 50},
    )


def _float(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]
