"""The dashboard's number formats, its currency setting and its labels for the marts' codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipelines.config import DBT_PROJECT_DIR, load_settings
from pipelines.defs.quality_resource import QualityResource
from pipelines.kpi.dashboard.catalog import CHARTS
from pipelines.kpi.dashboard.formatting import Money, currency_code, format_change, format_value
from pipelines.kpi.dashboard.labels import (
    CHANNELS,
    CHURN_RISK_REASONS,
    MARKETING_CHANNELS,
    NEXT_ACTIONS,
    RETURN_REASONS,
    RFM_SEGMENTS,
    SERVICE_CHANNELS,
    UNKNOWN,
    humanize,
    label,
    labels,
)
from sources.feeds.pos import RETURN_REASONS as POS_RETURN_REASONS
from tests.dashboard_fixtures import build_dashboard_warehouse

MARTS = DBT_PROJECT_DIR / "models" / "marts"


@pytest.mark.parametrize(
    ("code", "value", "decimals", "text"),
    [
        ("EUR", 1235.5, 0, "€1,236"),
        ("USD", -12.5, 2, "-$12.50"),
        ("GBP", 0.0, 0, "£0"),
        ("CHF", 1234567.0, 0, "CHF 1,234,567"),
        ("SEK", 99.999, 2, "SEK 100.00"),
    ],
)
def test_amounts_carry_the_currency(code: str, value: float, decimals: int, text: str) -> None:
    assert Money(code).text(value, decimals) == text


def test_money_gives_plotly_its_prefix_and_hover_format() -> None:
    assert Money("EUR").axis("revenue") == {
        "title": "revenue (EUR)",
        "tickprefix": "€",
        "separatethousands": True,
    }
    assert Money("CHF").axis("net sales")["tickprefix"] == "CHF "
    assert Money("USD").hover("y") == "$%{y:,.0f}" and Money("JPY").hover("customdata[1]", 2) == (
        "¥%{customdata[1]:,.2f}"
    )
    assert Money("EUR").text(None) == "n/a"


@pytest.mark.parametrize("text", ["EURO", "€", "", "E1R", "us dollar"])
def test_a_currency_that_is_no_iso_code_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        currency_code(text)
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(text)


def test_the_currency_setting(tmp_path: Path) -> None:
    assert load_settings(tmp_path, env={}).currency == "EUR"
    assert load_settings(tmp_path, env={"CRM360_CURRENCY": ""}).currency == "EUR"
    settings = load_settings(tmp_path, env={"CRM360_CURRENCY": " usd "})
    assert settings.currency == "USD"
    # the dashboard asset reads it from the reports' resource
    assert QualityResource.from_settings(settings).currency == "USD"
    with pytest.raises(ValueError, match="CRM360|ISO 4217"):
        load_settings(tmp_path, env={"CRM360_CURRENCY": "dollars"})


def test_tile_values_and_changes() -> None:
    assert format_value(450.0, "amount", Money("GBP")) == "£450"
    assert format_value(0.5, "rate") == "50.0%" and format_value(25.0, "score") == "25.0"
    assert format_value(1234.0, "count") == "1,234" and format_value(None, "amount") == "n/a"
    assert format_change(2.75, "amount") == ("+275.0%", "up")
    assert format_change(-1 / 6, "rate") == ("-16.7 pp", "down")
    assert format_change(0.0, "score") == ("+0.0 points", "flat")
    assert format_change(None, "count") == ("no previous value", "flat")


def test_labels_fall_back_to_readable_words() -> None:
    assert label(RETURN_REASONS, "returns") == "Customer return (changed mind)"
    assert label(RETURN_REASONS, "recall") == "Product recall"
    assert label(RFM_SEGMENTS, "cant_lose") == "Can't lose"
    assert label(RETURN_REASONS, "wrong_size") == "Wrong size"  # a new code reads as words
    assert label(CHANNELS, None) == UNKNOWN and label(CHANNELS, float("nan")) == UNKNOWN
    assert humanize("") == UNKNOWN
    assert labels(MARKETING_CHANNELS, ["sms", "mail"]) == ["SMS (text message)", "Letter (post)"]


def _accepted_values(yml: Path, model: str, column: str) -> list[str]:
    """The accepted_values test of a column in a dbt yml."""
    models = {m["name"]: m for m in yaml.safe_load(yml.read_text())["models"]}
    col = next(c for c in models[model]["columns"] if c["name"] == column)
    tests = [
        t["accepted_values"]
        for t in col.get("data_tests", [])
        if isinstance(t, dict) and "accepted_values" in t
    ]
    return tests[0]["arguments"]["values"]


def test_every_code_the_marts_can_hold_has_a_label() -> None:
    """A code the marts can hold and labels.py misses would show raw (a new code must be added)."""
    assert set(RETURN_REASONS) == {*POS_RETURN_REASONS, "unknown"}
    rfm = _accepted_values(MARTS / "segments" / "_segments__models.yml", "customer_rfm", "segment")
    assert set(RFM_SEGMENTS) == set(rfm)
    opt_in = _accepted_values(MARTS / "campaigns" / "_campaigns__models.yml", "kpi_opt_in", "channel")
    assert set(MARKETING_CHANNELS) == set(opt_in)
    dim_channel = (DBT_PROJECT_DIR / "models" / "core" / "dim_channel.sql").read_text()
    assert set(CHANNELS) == set(re.findall(r"^\s+\('(\w+)',", dim_channel, flags=re.M))
    assert set(SERVICE_CHANNELS) == {"phone", "chat", "email", "all"}  # kpi_satisfaction's grain
    retention = MARTS / "retention" / "_retention__models.yml"
    assert set(CHURN_RISK_REASONS) == set(_accepted_values(retention, "customer_churn", "churn_risk_reason"))
    assert set(NEXT_ACTIONS) == set(_accepted_values(retention, "customer_churn", "next_action"))


def test_the_asset_renders_with_the_settings_currency(tmp_path: Path) -> None:
    """The Dagster asset reads CRM360_CURRENCY (quality resource); "at risk" is customer_churn's."""
    import dagster as dg

    from pipelines.config import load_settings
    from pipelines.defs.assets.dashboard import kpi_dashboard
    from pipelines.defs.quality_resource import QualityResource
    from pipelines.defs.resources import WarehouseResource

    copy = build_dashboard_warehouse(tmp_path / "wh.duckdb")
    settings = load_settings(tmp_path, env={"CRM360_CURRENCY": "GBP"})
    result = dg.materialize(
        [kpi_dashboard],
        resources={
            "warehouse": WarehouseResource(path=str(copy)),
            "quality": QualityResource.from_settings(settings),
        },
    )
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["currency"].value == "GBP" and metadata["charts_with_data"].value == len(CHARTS)
    page = (settings.reports_dir / "kpi_dashboard.html").read_text(encoding="utf-8")
    assert 'class="value">£450</div>' in page and "At risk (see reason)" in page
