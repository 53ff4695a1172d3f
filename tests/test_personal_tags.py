"""Every dbt model column holding personal data carries `meta.personal` in the manifest (issue 22)."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

import pytest

from pipelines.defs.dbt_project import ensure_manifest
from pipelines.serving.docs import personal_kind
from sources.contracts import PERSONAL_COLUMN_NAMES, PERSONAL_KINDS
from sources.feeds import FEEDS

PERSONAL_NAMES = PERSONAL_COLUMN_NAMES
# Feed columns staging renames or splits: (feed, column) -> the staging columns carrying its data.
RENAMED = {
    ("web", "user_id"): ("account_id",),
    ("pos", "customer_ref"): ("customer_ref", "account_id", "loyalty_card", "local_ref"),
    ("callcenter", "customer_ref"): ("customer_ref", "account_id", "loyalty_card", "local_ref"),
    ("campaign_audience", "customer_ref"): ("account_id",),
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads(ensure_manifest().read_text())


def _models(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]


def untagged_by_name(manifest: dict[str, Any], exempt: Collection[str] = ()) -> list[str]:
    """`schema.model.column (kind)` for each model column with a personal name but not that kind."""
    return [
        f"{node['schema']}.{node['name']}.{column} ({PERSONAL_NAMES[column]})"
        for node in _models(manifest)
        if node["name"] not in exempt
        for column, spec in node["columns"].items()
        if column in PERSONAL_NAMES and personal_kind(spec) != PERSONAL_NAMES[column]
    ]


def untagged_staging(manifest: dict[str, Any]) -> list[str]:
    """Staging columns carrying a contract's personal feed column (same name, or RENAMED) untagged."""
    problems = []
    for node in _models(manifest):
        parents = [manifest["sources"][u] for u in node["depends_on"]["nodes"] if u.startswith("source.")]
        feeds = [p["name"] for p in parents if node["schema"] == "staging" and p["name"] in FEEDS]
        for feed, column in ((f, c) for f in feeds for c in FEEDS[f].personal):
            for target in RENAMED.get((feed, column.name), (column.name,)):
                spec = node["columns"].get(target)
                if spec is None or personal_kind(spec) != column.personal:
                    problems.append(f"{node['name']}.{target} <- {feed}.{column.name} ({column.personal})")
    return problems


def test_every_personal_column_name_is_tagged_with_its_kind(manifest: dict[str, Any]) -> None:
    assert set(PERSONAL_NAMES.values()) <= set(PERSONAL_KINDS)
    assert untagged_by_name(manifest) == []


def test_staging_tags_the_personal_columns_of_the_feed_contracts(manifest: dict[str, Any]) -> None:
    assert untagged_staging(manifest) == []


def test_marts_hold_no_personal_column(manifest: dict[str, Any]) -> None:
    """Analysts' marts carry the pseudonymous key and coarse attributes; contacts live in `restricted`."""
    tagged = [
        f"{n['name']}.{c}"
        for n in _models(manifest)
        if n["schema"] == "marts"
        for c, spec in n["columns"].items()
        if personal_kind(spec) or c in PERSONAL_NAMES
    ]
    assert tagged == []


def test_the_checks_catch_an_untagged_column(manifest: dict[str, Any]) -> None:
    """Strip one tag from a staging model: both checks report it."""
    copy = json.loads(json.dumps(manifest))
    node = next(n for n in _models(copy) if n["name"] == "stg_pos__transaction_lines")
    node["columns"]["loyalty_card"]["config"] = {"meta": {}}
    node["columns"]["loyalty_card"]["meta"] = {}
    assert untagged_by_name(copy) and untagged_by_name(copy) != untagged_by_name(manifest)
    expected = "stg_pos__transaction_lines.loyalty_card <- pos.customer_ref (customer_id)"
    assert untagged_staging(copy) == [expected]
