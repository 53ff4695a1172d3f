"""Sensors: one run for the files that appeared in the landing, with the build downstream of them."""

import json
from pathlib import Path

import dagster as dg

from pipelines.defs.build_state import BuildResource
from pipelines.defs.partitions import landing_request, new_files, today_utc
from pipelines.defs.resources import LandingResource
from pipelines.defs.run_lock import held_by
from pipelines.defs.schedules import all_assets_job
from sources.ingest.files import landing_snapshot

__all__ = ["landing_files_sensor", "landing_snapshot", "new_files"]


@dg.sensor(
    name="landing_files_sensor",
    job=all_assets_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="One run for new landing files: the event feeds' partitions of the files' days (one range), "
    "the list feeds that got files, and everything built from them.",
)
def landing_files_sensor(context: dg.SensorEvaluationContext, landing: LandingResource, build: BuildResource):
    holder = held_by(Path(build.data_dir))
    if holder:  # a `crm360 run` is loading: its files are not new to the next evaluation's cursor
        return dg.SkipReason(f"a crm360 run holds the data directory: {holder.describe()}")
    previous = json.loads(context.cursor) if context.cursor else {}
    current = landing_snapshot(Path(landing.landing_dir))
    fresh = new_files(previous, current)
    # The cursor moves on only with the request: the run_key (a digest of the new files) makes an
    # evaluation repeated before the cursor was saved request nothing twice.
    request = landing_request(fresh, landing.file_days(), today_utc(), context.repository_def.asset_graph)
    context.update_cursor(json.dumps(current))
    if request is None:
        return dg.SkipReason("no new landing files")
    context.log.info(f"landing: {request.tags.get('crm360/loads')}")
    return request
