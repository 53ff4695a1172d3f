"""`crm360 erase`: forget one person everywhere and keep them out (docs/privacy.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipelines.config import load_settings


@click.command()
@click.option("--email", default=None, help="The person's e-mail address, in any case or +alias form.")
@click.option("--phone", default=None, help="The person's phone number (international form matches best).")
@click.option("--customer-key", default=None, help="The person's customer_key in the warehouse.")
@click.option(
    "--data-dir", type=click.Path(path_type=Path), default=None, help="Data directory [CRM360_DATA_DIR]."
)
@click.option(
    "--no-wait", is_flag=True, help="Refuse instead of waiting when a run holds the data directory."
)
def erase(
    email: str | None, phone: str | None, customer_key: str | None, data_dir: Path | None, no_wait: bool
) -> None:
    """Erase one person from every layer of the warehouse, the files beside it and the serving copy, and
    suppress them so that landing files still holding them never bring them back (docs/privacy.md).

    Exit status: 0 erased (also a person the warehouse did not know: they are suppressed); 2 refused.
    """
    from rich.console import Console

    from pipelines.defs.erasure import erase as erase_person
    from pipelines.defs.run_lock import RunLocked

    given = [(k, v) for k, v in (("email", email), ("phone", phone), ("customer_key", customer_key)) if v]
    if len(given) != 1:
        click.echo(
            "crm360 erase: name the person with exactly one of --email, --phone, --customer-key", err=True
        )
        sys.exit(2)
    settings = load_settings(data_dir=data_dir)
    try:
        done = erase_person(
            settings, *given[0], wait=not no_wait, on_wait=lambda h: click.echo("waiting for a run", err=True)
        )
    except (RunLocked, FileNotFoundError, ValueError) as exc:
        click.echo(f"crm360 erase: {exc}", err=True)
        sys.exit(2)
    rows, console = sum(done.removed.values()), Console()
    console.print(
        f"erasure {done.erasure_id}: {done.customer_keys} customer(s), {rows:,} rows in "
        f"{len(done.removed)} tables, {sum(done.suppressed.values())} new suppression entries, "
        f"{len(done.files)} files redacted; warehouse compacted {done.size_before:,} -> {done.size_after:,} "
        f"bytes in {done.compact_seconds:.1f} s" + ("; serving copy republished" if done.published else "")
    )
    for table, n in done.removed.items():
        console.print(f"  {table}: {n:,}")
