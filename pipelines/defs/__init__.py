"""The Dagster layer: assets, checks, resources, schedules, sensors and the one definitions builder."""
