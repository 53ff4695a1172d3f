"""Which columns hold personal data: the feed contracts for raw, dbt's column meta for the rest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.serving.docs import personal_kind
from sources.contracts import FeedContract


def manifest_personal_columns(manifest: dict) -> dict[tuple[str, str], dict[str, str]]:
    """(schema, table) -> {column: personal kind} for every dbt model and source with a tagged column."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    nodes = [*manifest.get("nodes", {}).values(), *manifest.get("sources", {}).values()]
    for node in nodes:
        if node.get("resource_type") not in ("model", "source"):
            continue
        tagged = {col: kind for col, spec in node.get("columns", {}).items() if (kind := personal_kind(spec))}
        if tagged:
            name = node.get("alias") or node.get("identifier") or node["name"]
            found.setdefault((node["schema"], name), {}).update(tagged)
    return found


def manifest_not_null_columns(manifest: dict) -> set[tuple[str, str, str]]:
    """(schema, table, column) of every model column a dbt not_null test guards: a value erased there must
    be replaced, not nulled, or the next run's tests fail."""
    nodes = manifest.get("nodes", {})
    found = set()
    for test in nodes.values():
        if test.get("resource_type") != "test" or (test.get("test_metadata") or {}).get("name") != "not_null":
            continue
        model = nodes.get(test.get("attached_node") or "")
        if model and test.get("column_name"):
            found.add((model["schema"], model.get("alias") or model["name"], test["column_name"]))
    return found


@dataclass(frozen=True)
class Tags:
    personal: dict[tuple[str, str], dict[str, str]]  # (schema, table) -> {column: personal kind}
    not_null: set[tuple[str, str, str]]  # (schema, table, column) a not_null test guards


def load_tags(manifest_path: Path) -> Tags:
    """The personal columns and not-null-tested columns of a manifest.json file."""
    manifest = json.loads(manifest_path.read_text())
    return Tags(manifest_personal_columns(manifest), manifest_not_null_columns(manifest))


def contract_personal_columns(contract: FeedContract) -> dict[str, str]:
    """{column: personal kind} of a feed's raw table."""
    return {c.name: c.personal for c in contract.columns if c.personal}
