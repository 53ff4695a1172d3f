"""Render docs/configuration.md from the CRM360_* table in pipelines/config.py (make docs)."""

from __future__ import annotations

from dataclasses import MISSING, fields
from datetime import date

from pipelines.config import ENV_VARS, Settings

INTRO = """# Configuration

Every setting is a `CRM360_*` environment variable, read in one place (`pipelines/config.py`);
CLI flags such as `crm360 run --data-dir` override them. Unset or empty means the default, which
is read from the settings' dataclasses (`pipelines/config.py`, `pipelines/kpi/settings.py`,
`pipelines/identity/settings.py`, `quality/calibration.py`).
The KPI settings (`kpi.*`) reach dbt as `--vars` on every marts build; for analysts running dbt by
hand, `dbt_project/dbt_project.yml` holds their defaults in a block generated from the same dataclass
(`python -m pipelines.dbt_vars --write`).

This file is generated: `python -m pipelines.config_doc > docs/configuration.md` (`make docs`).
"""

FEEDS_SECTION = """
## Declared feeds

`CRM360_FEEDS` says which feeds a deployment expects and how old each may get; it is the only
freshness rule (dbt's `_sources.yml` has none). `raw_source_freshness`, a blocking check on every
`raw.<feed>`, compares the last load (`max(_loaded_at)`) with the rule and writes
`source_freshness:raw.<feed>` to `audit.check_results`:

| Situation | Verdict |
|---|---|
| an optional feed never delivered (no raw rows) | warning `never delivered`; the rest builds |
| a required feed never delivered | error: its staging and everything downstream wait |
| last load older than `warn_after_days` | warning |
| last load older than `error_after_days` | error (blocking) |

A deployment that starts with some feeds builds every layer from what it has: a feed without input
leaves its staging and core tables empty, and the marts made from it are empty, not missing.
With only the list feeds (`compiled_list`, `response_list`) the customers, their contacts, consents
and responses are built: `core.dim_customer`, `marts.customer_360`, `customer_segments`,
`marketing_audience`, `kpi_market_segments`, `kpi_opt_in`, `kpi_headline`, `kpi_loyalty` and
`kpi_defection` have rows. Everything made from purchases needs POS (orders, revenue, CLV, RFM,
churn, acquisition, retention cohorts, Pareto, baskets, returns, perfect order, forecasts, next
best offer, triggers), sessions need web, the service marts need the call centre and campaign lift
needs `campaign_audience`: those marts exist with no rows
until those feeds deliver.
The dashboard names each chart without data.

`crm360 run` refuses to start when the landing folder does not exist (exit 2, nothing built): a
mistyped `--data-dir` is not a deployment without feeds. An empty landing folder is.
"""


def setting_default(name: str) -> object:
    """The default of setting `name` (`kpi.churn_days`) as its dataclass declares it; None where it
    has no single value of its own (derived from another setting, or a structure the text explains)."""
    head, _, attr = name.partition(".")
    field = {f.name: f for f in fields(Settings)}[head]
    if field.default is not MISSING:
        value = field.default
    elif field.default_factory is not MISSING:
        value = field.default_factory()
    else:
        return None
    value = getattr(value, attr) if attr else value
    return value if isinstance(value, bool | int | float | str | date) else None


def default_text(value: object) -> str:
    """A default as a user sets it: `false`, `0.1`, `200`, `2000-01-01`."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def meaning(name: str, text: str) -> str:
    """The description, followed by the default read from the dataclass where there is one."""
    value = setting_default(name)
    return text if value is None else f"{text} Default: `{default_text(value)}`."


def render_configuration_markdown() -> str:
    lines = [INTRO, "| Variable | Setting | Meaning |", "|---|---|---|"]
    lines += [f"| `{var}` | `{name}` | {meaning(name, text)} |" for name, (var, text) in ENV_VARS.items()]
    return "\n".join(lines) + "\n" + FEEDS_SECTION


if __name__ == "__main__":
    print(render_configuration_markdown(), end="")
