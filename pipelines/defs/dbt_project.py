"""The dbt project as Dagster sees it: location, manifest preparation and asset naming."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from pipelines.config import DBT_PROJECT_DIR

GATE_KEY = dg.AssetKey(["core", "quality_gate"])  # the asset is pipelines/defs/assets/gate.py

DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"

# `dbt parse` renders the profile, which reads env_var('CRM360_WAREHOUSE'), but never opens the file.
PARSE_WAREHOUSE = DBT_PROJECT_DIR / "target" / "parse-only.duckdb"


@functools.cache
def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _sources_newer_than(path: Path) -> bool:
    if not path.exists():
        return True
    built = path.stat().st_mtime
    watched = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests", "seeds", "snapshots"):
        watched += [p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    return any(p.stat().st_mtime > built for p in watched if p.exists())


def ensure_manifest() -> Path:
    """Run `dbt parse` when the manifest is missing or older than the project files.

    dagster-dbt reads the manifest when `@dbt_assets` is defined, and `prepare_if_dev` only acts
    under `dagster dev`, so the definitions builder prepares it here (STACK_NOTES); `crm360 prepare`
    calls it as a deployment step of its own.
    """
    if not _sources_newer_than(MANIFEST_PATH):
        return MANIFEST_PATH
    env = {**os.environ}
    env.setdefault("CRM360_WAREHOUSE", str(PARSE_WAREHOUSE))
    _dbt(["parse", "--quiet"], env)
    return MANIFEST_PATH


class Crm360DbtTranslator(DagsterDbtTranslator):
    """Asset keys are [schema, name]: dbt source raw.pos is the raw asset ["raw", "pos"], and
    source core.customer_identity_map is the identity-resolution asset; groups follow the layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = manifest["nodes"].get(unique_id) or {}
        if props.get("resource_type") == "model" and props.get("schema") in ("marts", "restricted"):
            # Every mart waits behind the quality gate: customer_360 does not read fct_order_lines,
            # yet a failed check there must still stop it (pipelines/defs/assets/gate.py).
            spec = spec.merge_attributes(deps=[GATE_KEY])
        return spec


translator = Crm360DbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def generate_docs(warehouse: Path, target: Path) -> Path:
    """`dbt docs generate` (the catalog included) on `warehouse` into `target`; returns its index.html.

    Its own target folder: the pipeline's manifest in dbt_project/target stays as the runs left it."""
    _dbt(
        ["docs", "generate", "--target-path", str(target)], {**os.environ, "CRM360_WAREHOUSE": str(warehouse)}
    )
    return target / "index.html"


def _dbt(args: list[str], env: dict[str, str]) -> None:
    """Run the project's dbt executable on this project; raise with its output's tail when it fails."""
    project = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    proc = subprocess.run(
        [str(DBT_EXECUTABLE), *args, *project], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"dbt {args[0]} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
