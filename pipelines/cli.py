"""The `crm360` command line: simulate feeds, run the pipeline, report on it."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from pipelines.config import load_settings


@click.group()
def main() -> None:
    """crm360: the customer-data warehouse (web, POS, call-center and list feeds in DuckDB)."""


@main.command()
@click.option("--customers", type=int, default=5000, show_default=True, help="People in the population.")
@click.option("--days", type=int, default=365, show_default=True, help="Days of activity to simulate.")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--start-date", type=click.DateTime(["%Y-%m-%d"]), default="2025-01-01", show_default=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Landing root to write the feeds to [default: <data dir>/landing].",
)
@click.option(
    "--truth",
    type=click.Path(path_type=Path),
    default=None,
    help="Where the ground truth goes [default: beside --out, in truth/].",
)
def simulate(customers: int, days: int, seed: int, start_date, out: Path | None, truth: Path | None) -> None:
    """Write every feed for a simulated population, with realistic dirt."""
    from rich.console import Console

    from sources.simulator import simulate as run_simulation

    console = Console(stderr=True)
    out = out or load_settings().landing_dir
    with console.status(f"simulating {customers:,} customers over {days} days") as status:

        def progress(stage: str, done: int, total: int) -> None:
            status.update(f"simulating: {stage} {done}/{total}")

        summary = run_simulation(
            customers=customers,
            days=days,
            seed=seed,
            out=out,
            truth=truth,
            start_date=date.fromisoformat(start_date.strftime("%Y-%m-%d")),
            progress=progress,
        )
    console.print(f"simulated into {out}: {summary}")


@main.command()
@click.option(
    "--data-dir", type=click.Path(path_type=Path), default=None, help="Data directory [CRM360_DATA_DIR]."
)
@click.option("--select", "selection", default=None, help="Dagster asset selection, e.g. 'group:raw'.")
def run(data_dir: Path | None, selection: str | None) -> None:
    """Materialize every asset in-process into <data dir>/warehouse/crm360.duckdb."""
    from pipelines.runner import print_summary, run_pipeline

    settings = load_settings(data_dir=data_dir)
    summary = run_pipeline(settings, selection=selection)
    print_summary(summary)
    sys.exit(0 if summary.success else 1)


if __name__ == "__main__":
    main()
