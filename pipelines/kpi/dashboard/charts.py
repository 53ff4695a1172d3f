"""Plotly figures of the KPI dashboard, one function per chart, each from its query's small frame."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from pipelines.kpi.dashboard.formatting import Money
from pipelines.kpi.dashboard.labels import CHANNELS, RETURN_REASONS, RFM_SEGMENTS, labels
from pipelines.kpi.dashboard.style import GREY, PALETTE, layout, month_labels


def cohort_retention(df: pd.DataFrame, money: Money) -> go.Figure:
    """Heatmap of the mart's cells; warm-up cohorts are labelled, incomplete cells marked."""
    cells = df.assign(cohort=month_labels(df["cohort_month"], df["is_warm_up"]))
    grid = cells.pivot_table(
        index="cohort", columns="months_since_first", values="retention_rate", aggfunc="first", sort=False
    )
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[int(c) for c in grid.columns],
            y=list(grid.index),
            zmin=0,
            zmax=1,
            colorscale="Blues",
            colorbar={"title": "still buying", "tickformat": ".0%"},
            hovertemplate="customers won in %{y}: %{z:.1%} bought again in month %{x}<extra></extra>",
        )
    )
    incomplete = cells[~cells["is_complete"].astype(bool)]
    if not incomplete.empty:
        fig.add_scatter(
            x=incomplete["months_since_first"],
            y=incomplete["cohort"],
            mode="markers",
            name="incomplete (warm-up cohort or month not over)",
            marker={"symbol": "x-thin-open", "size": 8, "color": "#8a6d3b"},
            hovertemplate="customers won in %{y}, month %{x}: incomplete<extra></extra>",
        )
    return layout(
        fig,
        xaxis={"title": "months after the first purchase or contact", "dtick": 1},
        # Category axis: "2025-01" labels would otherwise be read as dates and re-ticked by week.
        yaxis={"title": "month the customers were won", "type": "category", "autorange": "reversed"},
    )


def clv_distribution(df: pd.DataFrame, money: Money) -> go.Figure:
    width = float(df["width"].iloc[0])
    last = int(df["bin"].max())
    ranges = [
        f"{money.text(b * width)} and more"
        if b == last
        else f"{money.text(b * width)}-{money.text((b + 1) * width)}"
        for b in df["bin"]
    ]
    fig = go.Figure(
        go.Bar(
            x=(df["bin"] + 0.5) * width,
            y=df["customers"],
            width=width * 0.95,
            customdata=ranges,
            marker_color=PALETTE[0],
            hovertemplate="predicted value %{customdata}: %{y} customers<extra></extra>",
        )
    )
    return layout(
        fig,
        xaxis=money.axis("predicted customer lifetime value (last bar: top 1% and above)"),
        yaxis_title="customers",
    )


def pareto(df: pd.DataFrame, money: Money) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 100],
        y=[0, 1],
        mode="lines",
        name="if every customer spent the same",
        line={"dash": "dot", "color": "#999"},
    )
    for col, name, color in (
        ("cumulative_revenue_share", "share of revenue", PALETTE[0]),
        ("cumulative_margin_share", "share of margin", PALETTE[1]),
    ):
        fig.add_scatter(
            x=df["customer_percentile"],
            y=df[col],
            mode="lines",
            name=name,
            line={"color": color},
            hovertemplate="top %{x}% of customers: %{y:.1%} of the "
            + name.removeprefix("share of ")
            + "<extra></extra>",
        )
    return layout(
        fig,
        xaxis_title="top % of customers (by revenue)",
        yaxis={"title": "cumulative share", "tickformat": ".0%"},
    )


def rfm_segments(df: pd.DataFrame, money: Money) -> go.Figure:
    names = labels(RFM_SEGMENTS, df["segment"])
    fig = go.Figure()
    fig.add_bar(
        x=names,
        y=df["customers"],
        name="customers",
        marker_color=PALETTE[0],
        hovertemplate="%{x}: %{y:,} customers<extra></extra>",
    )
    fig.add_scatter(
        x=names,
        y=df["revenue"],
        name=f"revenue ({money.code})",
        yaxis="y2",
        mode="markers",
        marker={"size": 10, "color": PALETTE[1]},
        hovertemplate="%{x}: revenue " + money.hover("y") + "<extra></extra>",
    )
    return layout(
        fig,
        yaxis_title="customers",
        yaxis2={
            **money.axis("revenue"),
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
        },
        margin={"l": 70, "r": 80, "t": 20, "b": 50},
    )


def campaign_lift(df: pd.DataFrame, money: Money) -> go.Figure:
    fig = go.Figure()
    lift = [f"lift {v:+.1%}" if pd.notna(v) else "no lift measured" for v in df["conversion_lift"]]
    for col, name, color in (
        ("treatment_conversion_rate", "customers who got the campaign", PALETTE[0]),
        ("control_conversion_rate", "hold-out group (not contacted)", GREY),
    ):
        fig.add_bar(
            x=df["campaign_name"],
            y=df[col],
            name=name,
            marker_color=color,
            customdata=lift,
            hovertemplate="%{x}: %{y:.1%} bought (%{customdata})<extra></extra>",
        )
    return layout(fig, barmode="group", yaxis={"title": "share who bought afterwards", "tickformat": ".1%"})


def call_center(df: pd.DataFrame, money: Money) -> go.Figure:
    fig = go.Figure()
    for col, name, color in (
        ("service_level", "answered in time", PALETTE[2]),
        ("abandonment_rate", "hung up before an answer", PALETTE[3]),
    ):
        fig.add_scatter(
            x=df["date_day"],
            y=df[col],
            mode="lines",
            name=f"{name}, daily",
            opacity=0.35,
            line={"color": color, "width": 1},
        )
        fig.add_scatter(
            x=df["date_day"],
            y=df[f"{col}_7d"],
            mode="lines",
            name=f"{name}, last 7 days",
            line={"color": color, "width": 2.5},
        )
    return layout(fig, yaxis={"title": "share of incoming calls and chats", "tickformat": ".0%"})


PERFECT_ORDER_PARTS = {
    "on_time_rate": "delivered on time",
    "in_full_rate": "delivered in full",
    "damage_free_rate": "arrived undamaged",
    "documentation_ok_rate": "paperwork correct",
    "perfect_order_rate": "perfect order (all four)",
}


def perfect_order(df: pd.DataFrame, money: Money) -> go.Figure:
    fig = go.Figure()
    for i, (col, name) in enumerate(PERFECT_ORDER_PARTS.items()):
        width = 3 if col == "perfect_order_rate" else 1.5
        fig.add_scatter(
            x=df["month"],
            y=df[col],
            mode="lines+markers",
            name=name,
            line={"color": PALETTE[i % len(PALETTE)], "width": width},
            hovertemplate="%{x|%b %Y}: %{y:.1%} " + name + "<extra></extra>",
        )
    return layout(
        fig,
        xaxis={"dtick": "M1", "tickformat": "%b %Y"},
        yaxis={"title": "share of orders", "tickformat": ".0%"},
    )


def returns_by_reason(df: pd.DataFrame, money: Money) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=labels(RETURN_REASONS, df["return_reason"]),
            y=df["returns"],
            customdata=df["refund_value"].astype(float),
            marker_color=PALETTE[4],
            hovertemplate="%{x}: %{y:,} returned items, refunded "
            + money.hover("customdata")
            + "<extra></extra>",
        )
    )
    return layout(fig, yaxis_title="returned order lines")


def _band(fig: go.Figure, part: pd.DataFrame, name: str) -> None:
    """80% interval as a filled band: upper edge first, the lower edge fills up to it."""
    style = {"mode": "lines", "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip"}
    fig.add_scatter(x=part["week_start"], y=part["upper"], **style)
    fig.add_scatter(
        x=part["week_start"],
        y=part["lower"],
        fill="tonexty",
        fillcolor="rgba(120,120,120,0.15)",
        name=name,
        **style,
    )


def forecast(df: pd.DataFrame, money: Money) -> go.Figure:
    fig = go.Figure()
    for i, (channel, group) in enumerate(df.groupby("channel_key", sort=True)):
        color = PALETTE[i % len(PALETTE)]
        name = labels(CHANNELS, [channel])[0]
        for kind, dash in (("actual", "solid"), ("backtest", "dot"), ("forecast", "dash")):
            part = group[group["kind"] == kind]
            if part.empty:
                continue
            if kind != "actual":
                _band(fig, part, f"{name} {kind}: likely range (80%)")
            fig.add_scatter(
                x=part["week_start"],
                y=part["revenue"],
                mode="lines",
                name=f"{name} {kind}",
                line={"color": color, "dash": dash},
                hovertemplate=f"{name} {kind}, week of "
                + "%{x|%d %b %Y}: "
                + money.hover("y")
                + "<extra></extra>",
            )
    return layout(fig, yaxis=money.axis("net sales per week"))
