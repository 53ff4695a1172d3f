"""`crm360 bench`: the benchmark command (the lead registers it with main.add_command(bench))."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from pipelines.bench.run import REFERENCES


def parse_scales(values: tuple[str, ...]) -> list[int]:
    """--customers 100000,300000 --customers 1000000 -> [100000, 300000, 1000000] (sorted, unique)."""
    scales: set[int] = set()
    for value in values:
        for part in value.replace("_", "").split(","):
            if not part.strip():
                continue
            try:
                n = int(part)
            except ValueError:
                raise click.BadParameter(f"{part!r} is not a whole number of customers") from None
            if n < 1:
                raise click.BadParameter(f"{n}: at least one customer")
            scales.add(n)
    if not scales:
        raise click.BadParameter("no scale given")
    return sorted(scales)


def parse_references(value: str) -> tuple[str, ...]:
    """'floor,bare_sql' -> ('floor', 'bare_sql'), in the order they run; unknown names refused."""
    names = {part.strip() for part in value.split(",") if part.strip()}
    unknown = names - set(REFERENCES)
    if unknown:
        known = ", ".join(REFERENCES)
        raise click.BadParameter(f"unknown reference(s) {', '.join(sorted(unknown))}; known: {known}")
    return tuple(r for r in REFERENCES if r in names)


@click.command("bench")
@click.option(
    "--customers",
    multiple=True,
    default=("1000000",),
    show_default=True,
    help="Customers per scale; repeat or comma-separate for several scales (100000,300000,1000000).",
)
@click.option("--days", type=int, default=365, show_default=True, help="Days of activity simulated.")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--work-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Simulations (kept, reused) and run folders [default: <data dir>/bench].",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="JSON file for the figures [default: <work dir>/bench-<timestamp>.json].",
)
@click.option(
    "--references",
    default=",".join(REFERENCES),
    show_default=True,
    help="References to measure, comma-separated: floor, splink, bare_sql; '' for none.",
)
@click.option("--skip-references", is_flag=True, help="Same as --references ''.")
@click.option(
    "--combine",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Run nothing: merge the scales of earlier JSON reports into one table with scaling.",
)
@click.option(
    "--incremental/--no-incremental",
    default=True,
    show_default=True,
    help="Also time a run after one more simulated day.",
)
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="spark: every run also builds the dbt models on local Spark (CRM360_ENGINE; docs/scale-out.md).",
)
def bench(
    customers: tuple[str, ...],
    days: int,
    seed: int,
    work_dir: Path | None,
    out: Path | None,
    references: str,
    skip_references: bool,
    combine: tuple[Path, ...],
    incremental: bool,
    engine: str,
) -> None:
    """Simulate, run the whole pipeline, time every stage against references; JSON and a table."""
    from rich.console import Console

    from pipelines.bench import run
    from pipelines.bench.report import print_report
    from pipelines.config import load_settings

    work = (work_dir or load_settings().data_dir / "bench").resolve()
    out = out or work / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)

    def checkpoint(partial: dict) -> None:
        out.write_text(json.dumps(partial, indent=2, default=str))
        pending = [f"{s['customers']:,}: {', '.join(s['phases_pending'])}"
                   for s in partial["scales"] if s.get("phases_pending")]  # fmt: skip
        pending += [f"{n:,}" for n in partial["scales_pending"]]
        Console(stderr=True).print(f"figures so far written to {out}; still to run: {'; '.join(pending)}")

    if combine:
        try:
            report = run.combine([json.loads(p.read_text()) for p in combine])
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    else:
        opts = run.BenchOptions(
            work_dir=work,
            days=days,
            seed=seed,
            references=() if skip_references else parse_references(references),
            incremental=incremental,
            engine=engine,
        )
        report = run.run_bench(parse_scales(customers), opts, checkpoint)
    out.write_text(json.dumps(report, indent=2, default=str))
    print_report(report, Console())
    Console(stderr=True).print(f"figures written to {out}")
    sys.exit(0 if all(r["pipeline"]["success"] for r in report["scales"]) else 1)
