"""The KPI settings as a Dagster resource, so Python KPI assets read them like every other resource."""

from __future__ import annotations

from dataclasses import fields

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
    self_service_deflection_days: int = _DEFAULTS.self_service_deflection_days
    lead_lost_days: int = _DEFAULTS.lead_lost_days
    telesales_recontact_days: int = _DEFAULTS.telesales_recontact_days
    churn_risk_gap_factor: float = _DEFAULTS.churn_risk_gap_factor
    churn_risk_experience_days: int = _DEFAULTS.churn_risk_experience_days
    followup_max_age_days: int = _DEFAULTS.followup_max_age_days
    forecast_weeks: int = _DEFAULTS.forecast_weeks
    forecast_backtest_weeks: int = _DEFAULTS.forecast_backtest_weeks
    clv_default_margin_rate: float = _DEFAULTS.clv_default_margin_rate
    cost_per_service_contact: float = _DEFAULTS.cost_per_service_contact
    campaign_min_control_customers: int = _DEFAULTS.campaign_min_control_customers
    campaign_min_expected_responders: float = _DEFAULTS.campaign_min_expected_responders
    campaign_confidence: float = _DEFAULTS.campaign_confidence

    @classmethod
    def from_settings(cls, settings: Settings) -> KpiResource:
        return cls(**settings.kpi.plain())

    def settings(self) -> KpiSettings:
        return KpiSettings.from_plain({f.name: getattr(self, f.name) for f in fields(KpiSettings)})
