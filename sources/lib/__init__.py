"""Helpers every layer may import: SQL text building and DuckDB connections; they import nothing of crm360."""
