"""The `crm360` command line: simulate feeds, run the pipeline, report on it."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from pipelines.bench.cli import bench
from pipelines.bench.identity_eval_cli import identity_eval
from pipelines.cli_erase import erase
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

    from sources.dev.simulator import simulate as run_simulation

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
@click.option(
    "--force",
    is_flag=True,
    help="Build everything even when nothing changed since the last complete build.",
)
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Rebuild every incremental dbt model from raw (dbt --full-refresh); implies --force.",
)
@click.option(
    "--days",
    default=None,
    metavar="START:END",
    help="Backfill these days (YYYY-MM-DD:YYYY-MM-DD, or one day) of the event feeds' daily partitions "
    "and everything built from them, in one run.",
)
@click.option(
    "--wait",
    is_flag=True,
    help="If another run holds the data directory, wait for it instead of refusing.",
)
def run(
    data_dir: Path | None,
    selection: str | None,
    force: bool,
    full_refresh: bool,
    days: str | None,
    wait: bool,
) -> None:
    """Materialize every asset in-process into <data dir>/warehouse/crm360.duckdb.

    A whole run loads the files new since the last complete build (the event feeds: the days of those
    files, one range) and builds everything from them. With no new landing file and the same settings
    and code as the last complete build, only the feeds' freshness is checked, and the run says so;
    --force builds everything. --days loads those days' files not loaded before (docs/operations.md).

    Exit status: 0 everything built from clean input; 3 built, with rejected files (named);
    1 not built (a step or blocking check failed); 2 refused before the run (README.md).
    """
    from pipelines.defs.partitions import DaysError
    from pipelines.defs.run_lock import RunLocked
    from pipelines.defs.run_summary import print_summary
    from pipelines.defs.runner import EngineUnavailable, SelectionError, run_pipeline
    from pipelines.feeds import LandingMissing
    from pipelines.run_report import EXIT_REFUSED

    settings = load_settings(data_dir=data_dir)
    try:
        summary = run_pipeline(
            settings, selection=selection, force=force, full_refresh=full_refresh, days=days, wait=wait
        )
    except (LandingMissing, SelectionError, DaysError, RunLocked, EngineUnavailable) as exc:
        click.echo(f"crm360 run: {exc}", err=True)
        sys.exit(EXIT_REFUSED)
    print_summary(summary)
    sys.exit(summary.exit_code)


@main.command()
@click.option(
    "--data-dir", type=click.Path(path_type=Path), default=None, help="Data directory [CRM360_DATA_DIR]."
)
@click.option("--port", type=int, default=3000, show_default=True)
def ui(data_dir: Path | None, port: int) -> None:
    """Start the Dagster UI and daemon on <data dir>/dagster, the instance `crm360 run` writes to.

    Runs from the CLI, the UI, the nightly schedule and the landing sensor share its history and its
    single-writer pool; settings come from CRM360_* as for `crm360 run`.
    """
    import os
    import shutil

    from pipelines.config import REPO_ROOT
    from pipelines.defs.instance import prepare_home

    settings = load_settings(data_dir=data_dir)
    env = {**os.environ, "DAGSTER_HOME": str(prepare_home(settings.data_dir))}
    env["CRM360_DATA_DIR"] = str(settings.data_dir)
    dagster = shutil.which("dagster", path=str(Path(sys.executable).parent)) or "dagster"
    workspace = str(REPO_ROOT / "workspace.yaml")
    click.echo(f"DAGSTER_HOME={env['DAGSTER_HOME']}", err=True)
    os.execve(dagster, [dagster, "dev", "-w", workspace, "-p", str(port)], env)


@main.command()
@click.argument("query")
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    default=None,
    help="A DuckDB file [default: the serving copy, <serving dir>/crm360.duckdb].",
)
@click.option(
    "--data-dir", type=click.Path(path_type=Path), default=None, help="Data directory [CRM360_DATA_DIR]."
)
@click.option("--limit", type=int, default=50, show_default=True, help="Rows shown at most.")
def sql(query: str, db: Path | None, data_dir: Path | None, limit: int) -> None:
    """Run QUERY on the serving copy, read-only, and print the result (docs/querying.md)."""
    import duckdb
    from rich.console import Console
    from rich.table import Table

    from pipelines.serving.publish import SERVING_FILE
    from pipelines.serving.query import query_serving

    path = db or load_settings(data_dir=data_dir).serving_dir / SERVING_FILE
    try:
        result = query_serving(path, query, limit)
    except (FileNotFoundError, duckdb.Error) as exc:
        click.echo(f"crm360 sql: {' '.join(str(exc).split())}", err=True)
        sys.exit(2)
    table = Table(*result.columns, caption=f"first {limit} rows" if result.truncated else None)
    for row in result.rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    Console().print(table)


@main.command()
@click.option(
    "--data-dir", type=click.Path(path_type=Path), default=None, help="Data directory [CRM360_DATA_DIR]."
)
def docs(data_dir: Path | None) -> None:
    """Build dbt's documentation site, catalog included, from the warehouse into <data dir>/dbt_docs."""
    from pipelines.defs.dbt_project import generate_docs
    from pipelines.defs.run_lock import run_lock

    settings = load_settings(data_dir=data_dir)
    if not settings.warehouse_path.exists():
        click.echo(f"crm360 docs: no warehouse at {settings.warehouse_path}: `make run` builds one", err=True)
        sys.exit(2)
    with run_lock(settings.data_dir, wait=True, on_wait=lambda h: click.echo("waiting for a run", err=True)):
        index = generate_docs(settings.warehouse_path, settings.data_dir / "dbt_docs")
    click.echo(f"dbt docs: {index} (open it through a web server: `python -m http.server -d {index.parent}`)")


@main.command()
def prepare() -> None:
    """Parse the dbt project into its manifest (dbt_project/target) before a deployment starts.

    The definitions builder does it too when a project file is newer than the manifest; a deployment
    runs this once so that no code server parses on its first load.
    """
    from pipelines.defs.dbt_project import ensure_manifest

    click.echo(f"dbt manifest ready: {ensure_manifest()}")


@main.command("identity-report")
@click.option(
    "--truth",
    type=click.Path(exists=True, path_type=Path),
    required=True,
    help="Simulator truth folder (holds records.csv).",
)
@click.option(
    "--data-dir", type=click.Path(path_type=Path), default=None, help="Data directory [CRM360_DATA_DIR]."
)
def identity_report(truth: Path, data_dir: Path | None) -> None:
    """Precision, recall and F1 of record-to-person assignment against the simulator's truth."""
    from rich.console import Console
    from rich.table import Table

    from pipelines.identity import evaluate

    settings = load_settings(data_dir=data_dir)
    records = truth / "records.csv" if truth.is_dir() else truth
    report = evaluate(settings.warehouse_path, records)
    console = Console()
    head = Table(title="identity resolution against ground truth (pairwise over records)")
    for col in ("records", "precision", "recall", "F1", "false-merge pairs", "missed-link pairs"):
        head.add_column(col, justify="right")
    head.add_row(
        f"{report['records_evaluated']:,}",
        f"{report['precision']:.4f}",
        f"{report['recall']:.4f}",
        f"{report['f1']:.4f}",
        f"{report['false_merge_pairs']:,}",
        f"{report['missed_link_pairs']:,}",
    )
    console.print(head)
    pairs = Table(title="by feed pair")
    for col in ("feed a", "feed b", "false merges", "missed links"):
        pairs.add_column(col, justify="left" if col.startswith("feed") else "right")
    for row in report["by_feed_pair"]:
        pairs.add_row(
            row["feed_a"],
            row["feed_b"],
            f"{row['false_merges']:,}",
            f"{row['missed_links']:,}",
        )
    console.print(pairs)


@main.command("identity-explain")
@click.argument("record_a")
@click.argument("record_b")
@click.option(
    "--data-dir", type=click.Path(path_type=Path), default=None, help="Data directory [CRM360_DATA_DIR]."
)
def identity_explain(record_a: str, record_b: str, data_dir: Path | None) -> None:
    """Why two records are (not) the same customer; records as SOURCE_SYSTEM:RECORD_ID."""
    import json

    import duckdb

    from pipelines.identity import explain_pair

    def ref(text: str) -> tuple[str, str]:
        system, _, rid = text.partition(":")
        if not rid:
            raise click.BadParameter(f"{text!r}: expected SOURCE_SYSTEM:RECORD_ID, e.g. pos:T-000123")
        return system, rid

    settings = load_settings(data_dir=data_dir)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        click.echo(json.dumps(explain_pair(con, ref(record_a), ref(record_b)), indent=2, default=str))
    finally:
        con.close()


main.add_command(bench)
main.add_command(identity_eval)
main.add_command(erase)

if __name__ == "__main__":
    main()
