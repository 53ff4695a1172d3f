"""Settings of the quality checks as a Dagster resource: where GX writes Data Docs, how much it samples,
and the calibration of the distribution rules (quality/calibration.py)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.config import Settings
from quality.calibration import DistributionSettings
from quality.gx_batches import SAMPLE_ROWS


class QualityResource(dg.ConfigurableResource):
    """Where reports go (<data_dir>/reports), their currency and the GX batch bounds."""

    reports_dir: str
    gx_sample_rows: int = SAMPLE_ROWS
    gx_max_batches: int  # Settings.gx_max_batches (CRM360_GX_MAX_BATCHES): the one default is there
    currency: str  # Settings.currency (CRM360_CURRENCY): the amounts of the reports (dashboard)
    # DistributionSettings as fields (a resource holds plain values); defaults are its defaults
    distribution_severity: str = DistributionSettings.severity
    max_anonymous_share: float = DistributionSettings.max_anonymous_share
    anonymous_share_min_lines: int = DistributionSettings.anonymous_share_min_lines
    revenue_band_low: float = DistributionSettings.revenue_band_low
    revenue_band_high: float = DistributionSettings.revenue_band_high
    revenue_band_min_prior_days: int = DistributionSettings.revenue_band_min_prior_days

    @classmethod
    def from_settings(cls, settings: Settings) -> QualityResource:
        d = settings.distribution
        return cls(
            reports_dir=str(settings.reports_dir),
            gx_max_batches=settings.gx_max_batches,
            currency=settings.currency,
            distribution_severity=d.severity,
            max_anonymous_share=d.max_anonymous_share,
            anonymous_share_min_lines=d.anonymous_share_min_lines,
            revenue_band_low=d.revenue_band_low,
            revenue_band_high=d.revenue_band_high,
            revenue_band_min_prior_days=d.revenue_band_min_prior_days,
        )

    def distribution(self) -> DistributionSettings:
        return DistributionSettings(
            severity=self.distribution_severity,
            max_anonymous_share=self.max_anonymous_share,
            anonymous_share_min_lines=self.anonymous_share_min_lines,
            revenue_band_low=self.revenue_band_low,
            revenue_band_high=self.revenue_band_high,
            revenue_band_min_prior_days=self.revenue_band_min_prior_days,
        )

    @property
    def reports_path(self) -> Path:
        return Path(self.reports_dir)
