"""Schedules: the nightly build of what changed, and the record of every complete build."""

import time

import dagster as dg

from pipelines.defs.build_state import BuildInputs, BuildResource
from pipelines.defs.checks.freshness import freshness_check_keys
from pipelines.defs.partitions import (
    new_files,
    partition_tags,
    plan_for,
    run_days,
    today_utc,
    whole_checks,
    whole_keys,
)
from pipelines.defs.resources import LandingResource

FULL_BUILD_JOB = "crm360_full_build"  # also what `crm360 run` executes, so the UI lists its runs
# Tags of a scheduled run: the inputs it builds from (recorded when it succeeds), or that nothing changed.
TAG_LANDING = "crm360/landing_fingerprint"
TAG_CONFIG = "crm360/config_fingerprint"
TAG_NOTHING_NEW = "crm360/nothing_new_since"
TAG_WHOLE = "crm360/whole_build"  # every asset but the event feeds without new files
TAG_PLANNED_AT = "crm360/planned_at"  # epoch seconds: a change outside runs after it is not in the build

all_assets_job = dg.define_asset_job(
    FULL_BUILD_JOB,
    selection=dg.AssetSelection.all(),
    description="Land every feed, then build everything downstream of it.",
)


def nightly_request(build: BuildResource, landing: LandingResource, graph) -> dg.RunRequest:
    """The whole build over the days of the files new since the last complete build (one range of the
    event feeds' partitions; today's alone when only lists changed), or, when nothing changed, the
    feeds' freshness checks only (ages keep growing), tagged with what it was decided on."""
    files = build.landing_files()
    inputs = build.inputs(files)
    tags = {TAG_LANDING: inputs.landing, TAG_CONFIG: inputs.config, TAG_PLANNED_AT: f"{time.time():.6f}"}
    since = build.unchanged_since(inputs)
    if since:
        return dg.RunRequest(
            asset_selection=[], asset_check_keys=freshness_check_keys(), tags={**tags, TAG_NOTHING_NEW: since}
        )
    new = new_files(build.last_landing(), files)
    plan = plan_for(new, landing.file_days(), today_utc(), pulls_api=bool(landing.web_api_url))
    build.stage_landing(inputs, files)  # becomes the last build's files when the run succeeds
    keys = whole_keys(graph)
    return dg.RunRequest(
        asset_selection=keys,
        asset_check_keys=whole_checks(keys, graph),
        tags={**tags, TAG_WHOLE: "true", **partition_tags(run_days(plan, today_utc()))},
    )


# 02:30 UTC: after the stores' end-of-day exports (about 01:00) and before analysts start.
@dg.schedule(
    name="crm360_nightly",
    job=all_assets_job,
    cron_schedule="30 2 * * *",
    execution_timezone="UTC",
    description="The whole build when a landing file, a setting or the code changed; else freshness checks.",
)
def nightly_schedule(
    context: dg.ScheduleEvaluationContext, build: BuildResource, landing: LandingResource
) -> dg.RunRequest:
    return nightly_request(build, landing, context.repository_def.asset_graph)


def completed_build(run: dg.DagsterRun) -> BuildInputs | None:
    """The inputs a successful run built the whole warehouse from, if it was a scheduled full build."""
    tags = run.tags
    whole = run.asset_selection is None or tags.get(TAG_WHOLE) == "true"
    if not whole or TAG_NOTHING_NEW in tags or TAG_LANDING not in tags:
        return None
    return BuildInputs(tags[TAG_LANDING], tags.get(TAG_CONFIG, ""))


def planned_at(run: dg.DagsterRun) -> float:
    """When the run was planned (epoch seconds); 0 for a run planned before the tag existed, so any
    change outside runs since then makes its build stale."""
    return float(run.tags.get(TAG_PLANNED_AT, 0))


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[all_assets_job],
    name="crm360_record_build",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Records the inputs of every successful scheduled full build (the next night compares).",
)
def record_build(context: dg.RunStatusSensorContext, build: BuildResource) -> None:
    inputs = completed_build(context.dagster_run)
    if inputs is not None:
        build.record(inputs, context.dagster_run.run_id, planned_at(context.dagster_run))
