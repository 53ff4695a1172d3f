"""Time Dagster's partition events: the event feeds materialised over N days on a fresh instance.

`python -m pipelines.bench.partition_events 366 [--default-event-log] [--profile FILE]`: an empty
landing in a temporary data directory, the instance `crm360 run` opens (its dagster.yaml), and one run
of raw/pos, raw/web and raw/callcenter over a range of N daily partitions from 2024-01-01. Loading
nothing, the run's time is Dagster's: compare 1 day with N days (docs/operations.md).
"""

from __future__ import annotations

import argparse
import cProfile
import re
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

FIRST = date(2024, 1, 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("days", type=int)
    parser.add_argument("--default-event-log", action="store_true", help="Dagster's own SQLite event log")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the run here")
    args = parser.parse_args(argv)

    from pipelines.config import load_settings
    from pipelines.defs import instance as instances
    from pipelines.defs.definitions import FULL_BUILD_JOB, build_definitions
    from pipelines.defs.partitions import DAILY_FEEDS, partition_tags, raw_key

    if args.default_event_log:  # crm360's dagster.yaml without its event_log_storage block
        yaml = re.sub(r"event_log_storage:\n(  .*\n)+", "", instances.instance_yaml(Path("/")))
        instances.instance_yaml = lambda home: yaml
    data = Path(tempfile.mkdtemp(prefix="partition-events-")) / "data"
    for feed in DAILY_FEEDS:
        (data / "landing" / feed).mkdir(parents=True)
    settings = load_settings(data_dir=data, env={"CRM360_PARTITIONS_START": FIRST.isoformat()})
    defs = build_definitions(settings)
    keys = {raw_key(f) for f in DAILY_FEEDS}
    checks = {c for c in defs.resolve_asset_graph().asset_check_keys if c.asset_key in keys}
    job = defs.resolve_job_def(FULL_BUILD_JOB).get_subset(asset_selection=keys, asset_check_selection=checks)
    window = (FIRST, FIRST + timedelta(days=args.days - 1))
    with instances.open_instance(data) as instance:
        profile = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profile:
            profile.enable()
        result = job.execute_in_process(instance=instance, tags=partition_tags(window), raise_on_error=False)
        if profile:
            profile.disable()
            profile.dump_stats(args.profile)
        seconds = time.perf_counter() - started
        events = len(instance.all_logs(result.run_id))
        storage = type(instance.event_log_storage).__name__
    print(f"{storage}: {args.days} days, {events} events, {seconds:.1f} s, success={result.success}")


if __name__ == "__main__":
    main()
