"""dbt against bare SQL model by model: where the Dagster + dbt overhead of the build sits."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

# Models listed by name in the printed table: at 1M the largest ten hold about 80% of the build.
TOP_MODELS = 10


def model_overhead(result: dict[str, Any], top: int = TOP_MODELS) -> dict[str, Any] | None:
    """Per-model seconds inside dbt (run_results) against the same compiled SQL bare, largest first.

    None when either side is missing (bare SQL skipped or failed, or a report from before these
    figures were recorded). `difference_in_top` is the share of the summed difference (dbt minus
    bare) that the listed models hold: near 1 means a few models carry the overhead, which
    points at them; spread thinly, with models on both sides of 1x, it is run-to-run noise or a
    per-model constant.
    """
    dbt = result.get("pipeline", {}).get("dbt_model_seconds")
    bare = result.get("references", {}).get("bare_sql", {}).get("model_seconds")
    if not dbt or not bare:
        return None
    common = sorted(set(dbt) & set(bare), key=lambda uid: -(dbt[uid] + bare[uid]))
    dbt_total = sum(dbt[u] for u in common)
    bare_total = sum(bare[u] for u in common)
    listed = [
        {
            "model": uid.rsplit(".", 1)[-1],
            "dbt_seconds": dbt[uid],
            "bare_seconds": bare[uid],
            "ratio": dbt[uid] / bare[uid] if bare[uid] else None,
        }
        for uid in common[:top]
    ]
    difference = dbt_total - bare_total
    in_top = sum(m["dbt_seconds"] - m["bare_seconds"] for m in listed)
    rest = common[top:]
    return {
        "models_compared": len(common),
        "dbt_seconds": dbt_total,
        "bare_seconds": bare_total,
        "ratio": dbt_total / bare_total if bare_total else None,
        "largest": listed,
        "rest": {
            "models": len(rest),
            "dbt_seconds": sum(dbt[u] for u in rest),
            "bare_seconds": sum(bare[u] for u in rest),
        },
        "difference_in_top": in_top / difference if difference else None,
    }


def print_model_overhead(report: dict[str, Any], console: Console) -> None:
    """One table per scale that has both sides: the largest models, the rest, and the total."""
    for r in report["scales"]:
        info = r.get("model_overhead")
        if not info:
            continue
        table = Table(title=f"dbt against bare SQL per model, {r['customers']:,} customers")
        table.add_column("model")
        for col in ("inside dbt", "bare", "ratio"):
            table.add_column(col, justify="right")
        for m in info["largest"]:
            ratio = "-" if m["ratio"] is None else f"{m['ratio']:.2f}x"
            table.add_row(m["model"], f"{m['dbt_seconds']:,.1f} s", f"{m['bare_seconds']:,.1f} s", ratio)
        rest = info["rest"]
        rest_ratio = rest["dbt_seconds"] / rest["bare_seconds"] if rest["bare_seconds"] else None
        table.add_row(
            f"{rest['models']} other models",
            f"{rest['dbt_seconds']:,.1f} s",
            f"{rest['bare_seconds']:,.1f} s",
            "-" if rest_ratio is None else f"{rest_ratio:.2f}x",
        )
        total = "-" if info["ratio"] is None else f"{info['ratio']:.2f}x"
        table.add_row(
            f"[bold]all {info['models_compared']} models[/]",
            f"{info['dbt_seconds']:,.1f} s",
            f"{info['bare_seconds']:,.1f} s",
            total,
        )
        console.print(table)
