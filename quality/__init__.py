"""Data quality: GX suites on landed batches, reconciliation across layers, audit.check_results."""
