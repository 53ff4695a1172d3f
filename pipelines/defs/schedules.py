"""Schedules: the nightly build of the whole warehouse."""

import dagster as dg

FULL_BUILD_JOB = "crm360_full_build"  # also what `crm360 run` executes, so the UI lists its runs

all_assets_job = dg.define_asset_job(
    FULL_BUILD_JOB,
    selection=dg.AssetSelection.all(),
    description="Land every feed, then build everything downstream of it.",
)

# 02:30 UTC: after the stores' end-of-day exports (about 01:00) and before analysts start.
nightly_schedule = dg.ScheduleDefinition(
    name="crm360_nightly",
    job=all_assets_job,
    cron_schedule="30 2 * * *",
    execution_timezone="UTC",
)
