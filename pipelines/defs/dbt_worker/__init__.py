"""One resident dbt process per pipeline run, serving all its dbt steps (no start-up per step)."""
