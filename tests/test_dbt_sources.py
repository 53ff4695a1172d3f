"""dbt_project/models/staging/_sources.yml is generated from the feed contracts and kept current."""

from __future__ import annotations

from pathlib import Path

import yaml

from sources.contracts import METADATA
from sources.dbt_sources import render_sources_yml
from sources.feeds import FEEDS

SOURCES_YML = Path(__file__).resolve().parent.parent / "dbt_project" / "models" / "staging" / "_sources.yml"


def test_committed_sources_yml_is_current() -> None:
    assert SOURCES_YML.read_text(encoding="utf-8") == render_sources_yml(), (
        "dbt_project/models/staging/_sources.yml is stale: run "
        "`python -m sources.dbt_sources > dbt_project/models/staging/_sources.yml` (make docs)"
    )


def test_every_contract_column_type_and_rule_reaches_dbt() -> None:
    (raw,) = yaml.safe_load(render_sources_yml())["sources"]
    assert raw["name"] == raw["schema"] == "raw"
    tables = {t["name"]: t for t in raw["tables"]}
    assert list(tables) == list(FEEDS)
    for name, contract in FEEDS.items():
        columns = tables[name]["columns"]
        assert [c["name"] for c in columns] == [*contract.column_names, *(m.name for m in METADATA)]
        for spec, column in zip(columns, (*contract.columns, *METADATA), strict=True):
            assert (spec["data_type"], spec["description"]) == (column.type, column.description)
        for spec, column in zip(columns, contract.columns, strict=False):
            meta = (spec.get("config") or {}).get("meta", {})
            assert meta.get("required", False) == column.required, (name, column.name)
            assert meta.get("allowed_values") == (list(column.allowed) if column.allowed else None)
