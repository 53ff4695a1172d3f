"""The live asset graph equals the checked-in snapshot (tests/snapshots/asset_graph.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.defs.graph_snapshot import REGENERATE, current, diff, render

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def test_live_asset_graph_matches_the_snapshot() -> None:
    text = SNAPSHOT.read_text()
    saved = json.loads(text)
    live = current()
    changes = diff(saved, live)
    if changes:
        pytest.fail(
            f"the live asset graph differs from {SNAPSHOT.name} in {len(changes)} place(s) "
            "(+ only in the code, - only in the snapshot, ~ changed from snapshot to code):\n"
            + "\n".join(changes)
            + f"\nIf the change is intended, regenerate it: {REGENERATE}",
            pytrace=False,
        )
    assert text == render(live), f"{SNAPSHOT.name} is not in the generated form; regenerate: {REGENERATE}"


def test_snapshot_holds_the_anchors_of_the_graph() -> None:
    """Read back, the snapshot says what the pipeline promises: raw feeds behind blocking load checks,
    identity between staging and core, every mart behind the gate."""
    saved = json.loads(SNAPSHOT.read_text())
    assets, checks = saved["assets"], saved["checks"]
    assert assets["raw/pos"] == {
        "deps": [],
        "group": "raw",
        "kinds": ["duckdb"],
        "pools": ["duckdb_warehouse"],
        # daily partitions by the day of the landing file; a range of days is one run
        "partitions": "DailyPartitionsDefinition",
        "backfill": "SINGLE_RUN",
    }
    assert "partitions" not in assets["raw/compiled_list"] and "partitions" not in assets["core/dim_customer"]
    assert assets["core/customer_identity_map"]["deps"] == ["intermediate/int_contact_records"]
    assert all(
        "core/quality_gate" in a["deps"] for k, a in assets.items() if k.startswith(("marts/", "reports/"))
    )
    assert checks["raw/pos:reconcile_loads"]["blocking"] and not checks["raw/pos:gx_batches"]["blocking"]
    assert all(a["pools"] == ["duckdb_warehouse"] for a in assets.values())


def test_diff_names_added_removed_and_changed_entries() -> None:
    old = {
        "assets": {
            "core/a": {"group": "core", "deps": ["raw/x"], "kinds": ["dbt"]},
            "core/gone": {"group": "core", "deps": [], "kinds": []},
        },
        "checks": {"core/a:unique": {"blocking": True, "deps": []}},
    }
    new = {
        "assets": {
            "core/a": {"group": "marts", "deps": ["raw/y"], "kinds": ["dbt"]},
            "core/new": {"group": "core", "deps": [], "kinds": []},
        },
        "checks": {"core/a:unique": {"blocking": False, "deps": ["core/new"]}},
    }
    assert diff(old, new) == [
        "+ asset core/new: {'group': 'core', 'deps': [], 'kinds': []}",
        "- asset core/gone",
        "~ asset core/a deps: +raw/y -raw/x",
        "~ asset core/a group: 'core' -> 'marts'",
        "~ check core/a:unique blocking: True -> False",
        "~ check core/a:unique deps: +core/new",
    ]
    assert diff(new, new) == []


def test_render_is_json_with_one_line_per_entry() -> None:
    snapshot = {
        "assets": {"raw/pos": {"group": "raw", "deps": []}, "raw/web": {"group": "raw", "deps": []}},
        "checks": {"raw/pos:gx_batches": {"blocking": False, "deps": []}},
    }
    text = render(snapshot)
    assert json.loads(text) == snapshot
    assert '    "raw/web": {"deps": [], "group": "raw"}' in text.splitlines()
    # 2 outer braces, 2 section openings, 2 section closings, 3 entries
    assert len(text.splitlines()) == 9
