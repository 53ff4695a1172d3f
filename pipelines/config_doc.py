"""Render docs/configuration.md from the CRM360_* table in pipelines/config.py (make docs)."""

from __future__ import annotations

from pipelines.config import ENV_VARS

INTRO = """# Configuration

Every setting is a `CRM360_*` environment variable, read in one place (`pipelines/config.py`);
CLI flags such as `crm360 run --data-dir` override them. Unset or empty means the default.
The KPI settings (`kpi.*`) reach dbt as `--vars` on every marts build; `dbt_project/dbt_project.yml`
holds the same defaults for analysts running dbt by hand.

This file is generated: `python -m pipelines.config_doc > docs/configuration.md` (`make docs`).
"""


def render_configuration_markdown() -> str:
    lines = [INTRO, "| Variable | Setting | Meaning |", "|---|---|---|"]
    lines += [f"| `{var}` | `{name}` | {text} |" for name, (var, text) in ENV_VARS.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_configuration_markdown(), end="")
