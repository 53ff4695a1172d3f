"""Descriptions of the served tables and columns, from dbt's manifest (the dbt YAML is their source)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

SERVED_SCHEMAS = ("core", "marts")  # always published, without the columns tagged personal
# Marketing contact data (names, addresses, e-mails for campaigns): published with its personal columns
# only where the deployment asks for it (CRM360_SERVING_CONTACTS).
CONTACT_SCHEMA = "restricted"
DOCUMENTED_SCHEMAS = (*SERVED_SCHEMAS, CONTACT_SCHEMA)


@dataclass(frozen=True)
class TableDoc:
    description: str
    columns: dict[str, str] = field(default_factory=dict)  # column -> description (documented ones)
    personal: dict[str, str] = field(default_factory=dict)  # column -> its `meta.personal` kind
    declared: frozenset[str] = frozenset()  # every column the manifest lists, described or not


def personal_kind(column: dict) -> str | None:
    """The kind of personal data a manifest column holds (`config: {meta: {personal: <kind>}}`), if any."""
    meta = (column.get("config") or {}).get("meta") or column.get("meta") or {}
    return meta.get("personal")


def table_docs(
    manifest: dict, schemas: tuple[str, ...] = DOCUMENTED_SCHEMAS
) -> dict[tuple[str, str], TableDoc]:
    """(schema, table) -> its description, column descriptions and personal columns, for every dbt model
    and source in `schemas`: the models dbt builds and the tables Python assets write that dbt declares
    as sources."""
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
        specs = node.get("columns", {}).items()
        personal = {col: kind for col, spec in specs if (kind := personal_kind(spec))}
        description = " ".join(node.get("description", "").split())
        declared = frozenset(node.get("columns", {}))
        docs[(node["schema"], name)] = TableDoc(description, columns, personal, declared)
    return docs


def load_table_docs(manifest_path: Path) -> dict[tuple[str, str], TableDoc]:
    """table_docs of a manifest.json file."""
    return table_docs(json.loads(manifest_path.read_text()))
