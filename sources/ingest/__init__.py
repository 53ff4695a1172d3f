"""Raw ingestion: landing files into DuckDB schema `raw`, exactly once, with quarantine."""
