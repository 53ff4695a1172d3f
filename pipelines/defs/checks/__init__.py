"""Dagster asset checks of crm360: GX on raw batches, blocking reconciliation on raw, staging and core.

pipelines/defs/definitions.py adds `all_checks` to the definitions, with the resources they need
(`warehouse`, `landing`, `quality`, `kpi`). Every check writes audit.check_results.
"""

from pipelines.defs.checks.clv import clv_missing_check
from pipelines.defs.checks.freshness import freshness_check
from pipelines.defs.checks.gx import gx_checks
from pipelines.defs.checks.pandera import pandera_checks
from pipelines.defs.checks.reconciliation import layer_checks, load_checks

all_checks: list = [
    *gx_checks,
    *load_checks,
    freshness_check,
    *layer_checks,
    *pandera_checks,
    clv_missing_check,
]

__all__ = [
    "all_checks",
    "clv_missing_check",
    "freshness_check",
    "gx_checks",
    "layer_checks",
    "load_checks",
    "pandera_checks",
]
