"""The KPI dashboard: one self-contained HTML page of headline tiles and plotly charts (render.py).

Kept free of imports so that the settings can read formatting.py's currency rules without loading
plotly: import render_dashboard from pipelines.kpi.dashboard.render.
"""
