"""Descriptions of the served tables and columns, from dbt's manifest (the dbt YAML is their source)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

SERVED_SCHEMAS = ("core", "marts")


@dataclass(frozen=True)
class TableDoc:
    description: str
    columns: dict[str, str] = field(default_factory=dict)  # column -> description (documented ones)


def table_docs(manifest: dict, schemas: tuple[str, ...] = SERVED_SCHEMAS) -> dict[tuple[str, str], TableDoc]:
    """(schema, table) -> its description and column descriptions, for every dbt model and source in
    `schemas`: the models dbt builds and the tables Python assets write that dbt declares as sources."""
    docs: dict[tuple[str, str], TableDoc] = {}
    nodes = [*manifest.get("nodes", {}).values(), *manifest.get("sources", {}).values()]
    for node in nodes:
        if node.get("resource_type") not in ("model", "source") or node.get("schema") not in schemas:
            continue
        name = node.get("alias") or node.get("identifier") or node["name"]
        columns = {
            col: " ".join(spec.get("description", "").split())
            for col, spec in node.get("columns", {}).items()
            if spec.get("description", "").strip()
        }
        docs[(node["schema"], name)] = TableDoc(" ".join(node.get("description", "").split()), columns)
    return docs


def load_table_docs(manifest_path: Path) -> dict[tuple[str, str], TableDoc]:
    """table_docs of a manifest.json file."""
    return table_docs(json.loads(manifest_path.read_text()))
