"""The KPI dashboard: one self-contained HTML page of headline tiles and plotly charts."""

from pipelines.kpi.dashboard.render import DASHBOARD_FILE, DashboardResult, render_dashboard

__all__ = ["DASHBOARD_FILE", "DashboardResult", "render_dashboard"]
