"""Dagster assets of crm360, one module per layer."""
