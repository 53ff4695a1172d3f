"""The KPI block of dbt_project.yml's `vars:`, generated from KpiSettings' defaults.

Dagster passes `KpiSettings.dbt_vars()` as `--vars` on every build; the block keeps `dbt` runnable by
hand with the same defaults. `python -m pipelines.dbt_vars --write` rewrites it in place
(`make docs`); without `--write` the updated dbt_project.yml goes to standard output.
"""

from __future__ import annotations

import json
import sys

from pipelines.config import DBT_PROJECT_DIR
from pipelines.kpi.settings import KpiSettings

DBT_PROJECT_YML = DBT_PROJECT_DIR / "dbt_project.yml"
BEGIN = "  # BEGIN KPI defaults: generated from KpiSettings (pipelines/kpi/settings.py) by"
END = "  # END KPI defaults"


def kpi_vars_block(settings: KpiSettings | None = None) -> list[str]:
    """The marked block: one `name: value` line per var of KpiSettings.dbt_vars()."""
    values = (settings or KpiSettings()).dbt_vars()
    return [
        BEGIN,
        "  # `python -m pipelines.dbt_vars --write` (make docs); do not edit, change the dataclass.",
        *(f"  {name}: {json.dumps(value)}" for name, value in values.items()),
        END,
    ]


def with_kpi_vars(project_yml: str, settings: KpiSettings | None = None) -> str:
    """`project_yml` with its marked KPI block replaced by the current one."""
    lines = project_yml.split("\n")
    if lines.count(BEGIN) != 1 or lines.count(END) != 1 or lines.index(BEGIN) > lines.index(END):
        raise ValueError(f"dbt_project.yml needs one block from {BEGIN.strip()!r} to {END.strip()!r}")
    start, stop = lines.index(BEGIN), lines.index(END)
    return "\n".join(lines[:start] + kpi_vars_block(settings) + lines[stop + 1 :])


if __name__ == "__main__":
    updated = with_kpi_vars(DBT_PROJECT_YML.read_text(encoding="utf-8"))
    if sys.argv[1:] == ["--write"]:
        DBT_PROJECT_YML.write_text(updated, encoding="utf-8")
    else:
        sys.stdout.write(updated)
