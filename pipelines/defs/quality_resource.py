"""Settings of the quality checks as a Dagster resource: where GX writes Data Docs, how much it samples,
and the calibration of the distribution rules (quality/calibration.py)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.config import Settings
from quality.calibration import DistributionSettings
from quality.gx_batches import SAMPLE_ROWS


class QualityResource(dg.ConfigurableResource):
    """Where reports go (<data_dir>/reports) and the GX batch bounds."""

    reports_dir: str
    gx_sample_rows: int = SAMPLE_ROWS
    # GX costs ~0.3 s per small batch (its own overhead, measured on 2 cores), so a first run over
    # a year of daily files (365 per feed) would take ~2 min per feed; 100 per feed and run keeps
    # the nightly window under ~3.5 min, the rest follow on the next nights (batches_pending).
    gx_max_batches: int | None = 100
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


def quality_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Resources the checks need besides `warehouse`: merge into Definitions' resources."""
    return {"quality": QualityResource.from_settings(settings)}
