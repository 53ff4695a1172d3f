"""Dagster asset checks of crm360: GX on raw batches, blocking reconciliation on raw, staging and core.

Add `all_checks` to Definitions(asset_checks=...) and `quality_resources(settings)` to its
resources (the checks need `warehouse` and `quality`). Every check writes audit.check_results.
"""

from pipelines.defs.checks.clv import clv_missing_check
from pipelines.defs.checks.freshness import freshness_check
from pipelines.defs.checks.gx import gx_checks
from pipelines.defs.checks.pandera import pandera_checks
from pipelines.defs.checks.reconciliation import layer_checks, load_checks
from pipelines.defs.quality_resource import QualityResource, quality_resources

all_checks: list = [
    *gx_checks,
    *load_checks,
    freshness_check,
    *layer_checks,
    *pandera_checks,
    clv_missing_check,
]

__all__ = [
    "QualityResource",
    "all_checks",
    "clv_missing_check",
    "freshness_check",
    "gx_checks",
    "layer_checks",
    "load_checks",
    "pandera_checks",
    "quality_resources",
]
