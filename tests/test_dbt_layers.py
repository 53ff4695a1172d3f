"""The dbt project runs as three Dagster steps: staging, core, then marts."""

from __future__ import annotations

import dagster as dg


def test_marts_are_their_own_dbt_step_after_core() -> None:
    from pipelines.defs.assets.dbt import build_dbt_assets

    _staging, dbt_warehouse_assets, dbt_marts_assets = build_dbt_assets()

    marts = {k.to_user_string() for k in dbt_marts_assets.keys}
    core = {k.to_user_string() for k in dbt_warehouse_assets.keys}
    assert "marts/customer_360" in marts
    assert not marts & core
    assert dg.AssetKey(["core", "fct_order_lines"]) in dbt_warehouse_assets.keys
