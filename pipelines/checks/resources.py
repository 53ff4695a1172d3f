"""Settings of the quality checks as a Dagster resource: where GX writes Data Docs, how much it samples."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.config import Settings
from quality.gx_batches import SAMPLE_ROWS


class QualityResource(dg.ConfigurableResource):
    """Where reports go (<data_dir>/reports) and the GX batch bounds."""

    reports_dir: str
    gx_sample_rows: int = SAMPLE_ROWS
    # GX costs ~0.3 s per small batch (its own overhead, measured on 2 cores), so a first run over
    # a year of daily files (365 per feed) would take ~2 min per feed; 100 per feed and run keeps
    # the nightly window under ~3.5 min, the rest follow on the next nights (batches_pending).
    gx_max_batches: int | None = 100

    @classmethod
    def from_settings(cls, settings: Settings) -> QualityResource:
        return cls(reports_dir=str(settings.reports_dir), gx_max_batches=settings.gx_max_batches)

    @property
    def reports_path(self) -> Path:
        return Path(self.reports_dir)


def quality_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Resources the checks need besides `warehouse`: merge into Definitions' resources."""
    return {"quality": QualityResource.from_settings(settings)}
