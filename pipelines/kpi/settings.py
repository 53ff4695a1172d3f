"""KpiSettings: the business definitions behind the KPI marts (windows, thresholds, model horizons)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class KpiSettings:
    """Knobs of the KPI marts; pipelines/config.py maps CRM360_* env vars onto these."""

    # CLV calibration window ends here; None = CLV_HOLDOUT_DAYS before the last order in the
    # warehouse, so the holdout comparison exists by default.
    clv_calibration_end: date | None = None
    clv_holdout_days: int = 91  # 13 weeks: one quarter of holdout, as in Fader, Hardie & Lee's CDNOW split
    clv_time_unit: str = "weeks"  # "weeks" or "days"
    clv_horizon: int = 52  # in clv_time_unit: one year ahead
    clv_discount_rate: float = 0.10  # annual; converted to the time unit for discounting
    # BG/NBD prices customers only with at least this many repeat customers to fit on; with fewer
    # (or an untrusted fit) marts.customer_clv uses the historical rate (clv_model says which).
    clv_min_repeat_customers: int = 10
    # The blocking check on marts.customer_clv fails when more than this share of the customers
    # with a repeat purchase have a NULL or non-finite clv.
    clv_max_missing_share: float = 0.0
    # A customer is churned after this many days without a purchase (as of the last order date).
    churn_days: int = 180
    # Event trigger "lapsed": no purchase for this many days (earlier than churn: a win-back nudge).
    lapsed_days: int = 90
    # Event trigger "large return": one return of at least this refund amount.
    large_return_amount: float = 200.0
    # Call centre: answered within this many seconds counts towards the service level.
    service_level_seconds: int = 20
    # First-contact resolution: no repeat contact for the same reason within this many days.
    fcr_days: int = 7
    # A campaign response converts when the customer buys within this many days of it.
    conversion_window_days: int = 30
    # Strategically significant customers: this top share by predicted CLV.
    strategic_clv_share: float = 0.05
    # Market basket: a product pair needs this many baskets to be kept (953 pairs on the demo year),
    # and a bundle candidate this support (share of baskets with both) besides lift > 1.
    basket_min_pair_baskets: int = 5
    bundle_min_support: float = 0.002
    # New customers: the first evidence within this many days of the history's start may be an
    # older customer seen for the first time; those months and cohorts are flagged warm-up.
    acquisition_warm_up_days: int = 90
    # Self-service deflection: a self-service web session counts as a deflected contact when its
    # customer makes no inbound service contact within this many days after it.
    self_service_deflection_days: int = 3
    # Sales leads (issue 23): a lead reached by telesales (an answered outbound call) who has not
    # bought within this many days of that first call is lost.
    lead_lost_days: int = 30
    # Telesales call list: nobody is called again within this many days of an outbound telesales call.
    telesales_recontact_days: int = 30
    # Churn risk: falling frequency when the days since the last order exceed this multiple of the
    # customer's own mean gap between purchase days.
    churn_risk_gap_factor: float = 2.0
    # Churn risk: complaints and bad experiences count from this many days before the last order on.
    churn_risk_experience_days: int = 30
    # Contact follow-ups: an interaction still open after this many days leaves the list (stale).
    followup_max_age_days: int = 90
    forecast_weeks: int = 12  # weekly revenue forecast horizon
    forecast_backtest_weeks: int = 8  # last weeks of history held out for MAPE / WAPE
    # CLV as net profit (marts.customer_clv.clv_net_profit): the gross margin rate used when no
    # order line in the warehouse has a unit_cost, and the cost of one inbound service contact.
    clv_default_margin_rate: float = 0.40
    cost_per_service_contact: float = 5.0
    # Campaign lift (marts.kpi_campaign_lift): a control cell smaller than this, or expecting fewer
    # than campaign_min_expected_responders responders or converters, cannot support a conclusion.
    campaign_min_control_customers: int = 100
    campaign_min_expected_responders: float = 5.0
    campaign_confidence: float = 0.95  # two-sided confidence of the intervals; 1 - it is the test's alpha

    def dbt_vars(self) -> dict[str, Any]:
        """The settings dbt models read with var(); dbt_project.yml's KPI vars are generated from these
        defaults (pipelines/dbt_vars.py)."""
        return {
            "churn_days": self.churn_days,
            "lapsed_days": self.lapsed_days,
            "large_return_amount": self.large_return_amount,
            "service_level_seconds": self.service_level_seconds,
            "fcr_days": self.fcr_days,
            "conversion_window_days": self.conversion_window_days,
            "strategic_clv_share": self.strategic_clv_share,
            "basket_min_pair_baskets": self.basket_min_pair_baskets,
            "bundle_min_support": self.bundle_min_support,
            "acquisition_warm_up_days": self.acquisition_warm_up_days,
            "self_service_deflection_days": self.self_service_deflection_days,
            "lead_lost_days": self.lead_lost_days,
            "telesales_recontact_days": self.telesales_recontact_days,
            "churn_risk_gap_factor": self.churn_risk_gap_factor,
            "churn_risk_experience_days": self.churn_risk_experience_days,
            "followup_max_age_days": self.followup_max_age_days,
        }

    def plain(self) -> dict[str, Any]:
        """Every setting as a JSON value (the calibration end as an ISO date): for a resource's config or a
        step's command line (pipelines/spark/kpi_marts.py)."""
        values = asdict(self)
        end = values["clv_calibration_end"]
        return {**values, "clv_calibration_end": end.isoformat() if end else None}

    @classmethod
    def from_plain(cls, values: dict[str, Any]) -> KpiSettings:
        """The inverse of plain()."""
        end = values.get("clv_calibration_end")
        return cls(**{**values, "clv_calibration_end": date.fromisoformat(end) if end else None})
