"""Which columns hold personal data: the feed contracts for raw, dbt's column meta for the rest."""

from __future__ import annotations

import json
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


def load_personal_columns(manifest_path: Path) -> dict[tuple[str, str], dict[str, str]]:
    """manifest_personal_columns of a manifest.json file."""
    return manifest_personal_columns(json.loads(manifest_path.read_text()))


def contract_personal_columns(contract: FeedContract) -> dict[str, str]:
    """{column: personal kind} of a feed's raw table."""
    return {c.name: c.personal for c in contract.columns if c.personal}
