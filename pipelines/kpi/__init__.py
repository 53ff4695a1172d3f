"""KPI computations that are not plain SQL: CLV models, sales forecasts and the KPI dashboard."""
