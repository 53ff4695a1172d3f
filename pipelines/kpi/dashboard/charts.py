"""Plotly figures of the KPI dashboard, one function per chart, each from its query's small frame."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


def _layout(fig: go.Figure, **kwargs: object) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        height=380,
        margin={"l": 60, "r": 20, "t": 20, "b": 50},
        legend={"orientation": "h", "y": -0.18},
        **kwargs,
    )
    return fig


def cohort_retention(df: pd.DataFrame) -> go.Figure:
    """Heatmap of the mart's cells; warm-up cohorts are labelled, incomplete cells marked."""
    month = pd.to_datetime(df["cohort_month"]).dt.strftime("%Y-%m")
    cohort = month.where(~df["is_warm_up"].astype(bool), month + " (warm-up)")
    cells = df.assign(cohort=cohort)
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
            colorbar={"title": "retained", "tickformat": ".0%"},
            hovertemplate="cohort %{y}, month %{x}: %{z:.1%}<extra></extra>",
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
            hovertemplate="cohort %{y}, month %{x}: incomplete<extra></extra>",
        )
    return _layout(
        fig,
        xaxis={"title": "months since acquisition", "dtick": 1},
        # Category axis: "2025-01" labels would otherwise be read as dates and re-ticked by week.
        yaxis={"title": "cohort", "type": "category", "autorange": "reversed"},
    )


def clv_distribution(df: pd.DataFrame) -> go.Figure:
    width = float(df["width"].iloc[0])
    last = int(df["bin"].max())
    labels = [
        f"{b * width:,.0f}+" if b == last else f"{b * width:,.0f}-{(b + 1) * width:,.0f}" for b in df["bin"]
    ]
    fig = go.Figure(
        go.Bar(
            x=(df["bin"] + 0.5) * width,
            y=df["customers"],
            width=width * 0.95,
            customdata=labels,
            marker_color=PALETTE[0],
            hovertemplate="CLV %{customdata}: %{y} customers<extra></extra>",
        )
    )
    return _layout(fig, xaxis_title="predicted CLV (last bin: top 1% and above)", yaxis_title="customers")


def pareto(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 100], y=[0, 1], mode="lines", name="equal share", line={"dash": "dot", "color": "#999"}
    )
    for col, name, color in (
        ("cumulative_revenue_share", "revenue", PALETTE[0]),
        ("cumulative_margin_share", "margin", PALETTE[1]),
    ):
        fig.add_scatter(
            x=df["customer_percentile"], y=df[col], mode="lines", name=name, line={"color": color}
        )
    return _layout(
        fig, xaxis_title="top % of customers", yaxis={"title": "cumulative share", "tickformat": ".0%"}
    )


def rfm_segments(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(x=df["segment"], y=df["customers"], name="customers", marker_color=PALETTE[0])
    fig.add_scatter(
        x=df["segment"], y=df["revenue"], name="revenue", yaxis="y2", mode="markers", marker={"size": 10}
    )
    return _layout(
        fig,
        yaxis_title="customers",
        yaxis2={
            "title": "revenue",
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
        },
    )


def campaign_lift(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    lift = [f"lift {v:+.1%}" if pd.notna(v) else "" for v in df["conversion_lift"]]
    for col, name, color in (
        ("treatment_conversion_rate", "treatment", PALETTE[0]),
        ("control_conversion_rate", "control (hold-out)", "#7f7f7f"),
    ):
        fig.add_bar(
            x=df["campaign_name"],
            y=df[col],
            name=name,
            marker_color=color,
            customdata=lift,
            hovertemplate="%{x}: %{y:.1%} (%{customdata})<extra></extra>",
        )
    return _layout(fig, barmode="group", yaxis={"title": "conversion rate", "tickformat": ".1%"})


def call_center(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for col, name, color in (
        ("service_level", "service level", PALETTE[2]),
        ("abandonment_rate", "abandonment", PALETTE[3]),
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
            name=f"{name}, trailing 7 days",
            line={"color": color, "width": 2.5},
        )
    return _layout(fig, yaxis={"title": "share of offered contacts", "tickformat": ".0%"})


def perfect_order(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    components = [
        "on_time_rate",
        "in_full_rate",
        "damage_free_rate",
        "documentation_ok_rate",
        "perfect_order_rate",
    ]
    for i, col in enumerate(components):
        width = 3 if col == "perfect_order_rate" else 1.5
        fig.add_scatter(
            x=df["month"],
            y=df[col],
            mode="lines+markers",
            name=col.removesuffix("_rate").replace("_", " "),
            line={"color": PALETTE[i % len(PALETTE)], "width": width},
        )
    return _layout(
        fig,
        xaxis={"dtick": "M1", "tickformat": "%b %Y"},
        yaxis={"title": "share of orders", "tickformat": ".0%"},
    )


def returns_by_reason(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=df["return_reason"],
            y=df["returns"],
            customdata=df["refund_value"],
            marker_color=PALETTE[4],
            hovertemplate="%{x}: %{y} returns, refunds %{customdata:,.0f}<extra></extra>",
        )
    )
    return _layout(fig, yaxis_title="return lines")


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


def forecast(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for i, (channel, group) in enumerate(df.groupby("channel_key", sort=True)):
        color = PALETTE[i % len(PALETTE)]
        for kind, dash in (("actual", "solid"), ("backtest", "dot"), ("forecast", "dash")):
            part = group[group["kind"] == kind]
            if part.empty:
                continue
            if kind != "actual":
                _band(fig, part, f"{channel} {kind} 80% interval")
            fig.add_scatter(
                x=part["week_start"],
                y=part["revenue"],
                mode="lines",
                name=f"{channel} {kind}",
                line={"color": color, "dash": dash},
            )
    return _layout(fig, yaxis_title="net sales per week")


CHARTS: dict[str, tuple[str, Callable[[pd.DataFrame], go.Figure]]] = {
    "cohort_retention": (
        "Cohort retention (share of each acquisition cohort buying in month k; x = incomplete)",
        cohort_retention,
    ),
    "clv_distribution": ("Predicted CLV distribution", clv_distribution),
    "pareto": ("Pareto curve: revenue and margin from the top customers", pareto),
    "rfm_segments": ("RFM segments: customers and revenue", rfm_segments),
    "campaign_lift": ("Campaign lift: conversion of treatment vs control", campaign_lift),
    "call_center": ("Call centre: service level and abandonment (daily and trailing 7 days)", call_center),
    "perfect_order": ("Perfect order and its components per month", perfect_order),
    "returns_by_reason": ("Returns by reason", returns_by_reason),
    "forecast": ("Weekly net sales: actuals, backtest and forecast (80% interval)", forecast),
}
