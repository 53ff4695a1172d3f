"""The KPI settings as a Dagster resource, so Python KPI assets read them like every other resource."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date

import dagster as dg

from pipelines.config import Settings
from pipelines.kpi.settings import KpiSettings

_DEFAULTS = KpiSettings()


class KpiResource(dg.ConfigurableResource):
    """KpiSettings field by field (defaults from KpiSettings); the calibration end as an ISO date."""

    clv_calibration_end: str | None = None
    clv_holdout_days: int = _DEFAULTS.clv_holdout_days
    clv_time_unit: str = _DEFAULTS.clv_time_unit
    clv_horizon: int = _DEFAULTS.clv_horizon
    clv_discount_rate: float = _DEFAULTS.clv_discount_rate
    clv_min_repeat_customers: int = _DEFAULTS.clv_min_repeat_customers
    clv_max_missing_share: float = _DEFAULTS.clv_max_missing_share
    churn_days: int = _DEFAULTS.churn_days
    lapsed_days: int = _DEFAULTS.lapsed_days
    large_return_amount: float = _DEFAULTS.large_return_amount
    service_level_seconds: int = _DEFAULTS.service_level_seconds
    fcr_days: int = _DEFAULTS.fcr_days
    conversion_window_days: int = _DEFAULTS.conversion_window_days
    strategic_clv_share: float = _DEFAULTS.strategic_clv_share
    basket_min_pair_baskets: int = _DEFAULTS.basket_min_pair_baskets
    bundle_min_support: float = _DEFAULTS.bundle_min_support
    acquisition_warm_up_days: int = _DEFAULTS.acquisition_warm_up_days
    forecast_weeks: int = _DEFAULTS.forecast_weeks
    forecast_backtest_weeks: int = _DEFAULTS.forecast_backtest_weeks

    @classmethod
    def from_settings(cls, settings: Settings) -> KpiResource:
        values = asdict(settings.kpi)
        end = values.pop("clv_calibration_end")
        return cls(clv_calibration_end=end.isoformat() if end else None, **values)

    def settings(self) -> KpiSettings:
        values = {f.name: getattr(self, f.name) for f in fields(KpiSettings)}
        end = values.pop("clv_calibration_end")
        return KpiSettings(clv_calibration_end=date.fromisoformat(end) if end else None, **values)
