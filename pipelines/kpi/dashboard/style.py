"""Shared look of the dashboard's plotly figures: the palette, the layout and month labels."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
GREY = "#7f7f7f"


def layout(fig: go.Figure, **kwargs: object) -> go.Figure:
    """The common size, margins and a horizontal legend under the plot; `kwargs` override them."""
    settings: dict[str, object] = {
        "template": "plotly_white",
        "height": 380,
        "margin": {"l": 70, "r": 20, "t": 20, "b": 50},
        "legend": {"orientation": "h", "y": -0.18},
        "separators": ".,",
    }
    fig.update_layout(**{**settings, **kwargs})
    return fig


def month_labels(months: pd.Series, flags: pd.Series | None = None, flag_text: str = "warm-up") -> list[str]:
    """'2025-03' per month's first day; ' (<flag_text>)' where `flags` is true."""
    text = pd.to_datetime(months).dt.strftime("%Y-%m")
    if flags is None:
        return text.tolist()
    return [f"{t} ({flag_text})" if bool(f) else t for t, f in zip(text, flags, strict=True)]
