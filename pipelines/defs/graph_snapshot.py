"""The asset graph as sorted JSON, to check in and compare: `python -m pipelines.defs.graph_snapshot`.

Every asset key with its group, upstream keys, kinds and pools (and, if partitioned, the kind of
partitions and the backfill policy), and every asset check with its
blocking flag and the extra assets it waits for. tests/test_asset_graph_snapshot.py fails when the
live graph differs from tests/snapshots/asset_graph.json and prints what changed, so a refactor of
the Dagster glue that moves an edge or drops a check is seen in review, not in production.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import dagster as dg

REGENERATE = "python -m pipelines.defs.graph_snapshot > tests/snapshots/asset_graph.json  (or: make docs)"


def _name(key: dg.AssetKey) -> str:
    return key.to_user_string()


def graph_snapshot(defs: dg.Definitions) -> dict[str, Any]:
    """{"assets": {key: {group, deps, kinds, pools}}, "checks": {"asset:check": {blocking, deps}}}."""
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assets[_name(key)] = {
            "group": node.group_name,
            "deps": sorted(_name(k) for k in node.parent_keys),
            "kinds": sorted(node.kinds),
            "pools": sorted(node.pools or ()),
        }
        if node.partitions_def is not None:  # the kind of partitions and how a range runs, not the dates
            assets[_name(key)]["partitions"] = type(node.partitions_def).__name__
            policy = node.backfill_policy
            assets[_name(key)]["backfill"] = policy.policy_type.value if policy else None
    checks = {}
    for check_key in graph.asset_check_keys:
        spec = graph.get_check_spec(check_key)
        checks[f"{_name(check_key.asset_key)}:{check_key.name}"] = {
            "blocking": spec.blocking,
            "deps": sorted(_name(d.asset_key) for d in spec.additional_deps),
        }
    return {"assets": dict(sorted(assets.items())), "checks": dict(sorted(checks.items()))}


def render(snapshot: dict[str, Any]) -> str:
    """JSON with one line per asset and per check: a change shows as that line in a git diff."""
    lines = ["{"]
    for i, section in enumerate(("assets", "checks")):
        entries = snapshot[section]
        lines.append(f'  "{section}": {{')
        body = [f"    {json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in entries.items()]
        lines.append(",\n".join(body))
        lines.append("  }," if i == 0 else "  }")
    lines.append("}")
    return "\n".join(line for line in lines if line) + "\n"


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed from `old` to `new`, one readable line per added/removed key or changed field."""
    out = []
    for section in ("assets", "checks"):
        before, after = old.get(section, {}), new.get(section, {})
        out += [f"+ {section[:-1]} {k}: {after[k]}" for k in sorted(after.keys() - before.keys())]
        out += [f"- {section[:-1]} {k}" for k in sorted(before.keys() - after.keys())]
        for key in sorted(before.keys() & after.keys()):
            for field in sorted(before[key].keys() | after[key].keys()):
                was, now = before[key].get(field), after[key].get(field)
                if was == now:
                    continue
                if isinstance(was, list) and isinstance(now, list):
                    added = sorted(set(now) - set(was))
                    removed = sorted(set(was) - set(now))
                    change = " ".join([*(f"+{v}" for v in added), *(f"-{v}" for v in removed)])
                    out.append(f"~ {section[:-1]} {key} {field}: {change}")
                else:
                    out.append(f"~ {section[:-1]} {key} {field}: {was!r} -> {now!r}")
    return out


def current() -> dict[str, Any]:
    """The graph of the code location; settings only fill resources, so the environment is left out."""
    from pipelines.config import load_settings
    from pipelines.defs.definitions import build_definitions

    return graph_snapshot(build_definitions(load_settings(env={})))


if __name__ == "__main__":
    sys.stdout.write(render(current()))
