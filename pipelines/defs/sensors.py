"""Sensors: start a load when new files appear in a feed's landing folder."""

import json
from pathlib import Path

import dagster as dg

from pipelines.defs.resources import LandingResource
from sources.ingest.files import landing_snapshot


def new_files(previous: dict[str, list[str]], current: dict[str, list[str]]) -> dict[str, list[str]]:
    """Files present now and absent from the previous snapshot, per feed."""
    return {
        feed: sorted(set(entries) - set(previous.get(feed, [])))
        for feed, entries in current.items()
        if set(entries) - set(previous.get(feed, []))
    }


@dg.sensor(
    name="landing_files_sensor",
    target=dg.AssetSelection.groups("raw"),
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Requests a load of every feed that received new landing files.",
)
def landing_files_sensor(context: dg.SensorEvaluationContext, landing: LandingResource):
    previous = json.loads(context.cursor) if context.cursor else {}
    current = landing_snapshot(Path(landing.landing_dir))
    fresh = new_files(previous, current)
    context.update_cursor(json.dumps(current))
    if not fresh:
        return dg.SkipReason("no new landing files")
    keys = [dg.AssetKey(["raw", feed]) for feed in sorted(fresh)]
    run_key = "|".join(f"{feed}:{len(files)}:{files[-1]}" for feed, files in sorted(fresh.items()))
    return dg.RunRequest(run_key=run_key, asset_selection=keys)
