"""The Great Expectations context of crm360, configured in code, and one checkpoint per feed."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from quality.gx_groups import LOAD_ID
from sources.contracts import FeedContract

# The Data Docs index lists this many latest validations (6 feeds x ~60 days); GX reads each
# listed result to draw the index, so an unbounded index would slow every run down.
INDEX_LIMIT = 360
EXAMPLES = 5  # example rows per failing expectation in check_results.sample


def gx_context(root: Path) -> Any:
    """A GX context configured in code: suites, results and Data Docs as files under `root`.

    Nothing leaves the machine: analytics off (GX 1.24 ships no tracker, the flag guards older
    and newer ones), progress bars off so logs stay readable.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        FilesystemStoreBackendDefaults,
        ProgressBarsConfig,
    )

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    root = root.resolve()  # GX file stores insist on absolute paths
    root.mkdir(parents=True, exist_ok=True)
    docs = {
        "local_site": {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(root / "data_docs"),
            },
            "site_index_builder": {
                "class_name": "DefaultSiteIndexBuilder",
                "validation_results_limit": INDEX_LIMIT,
            },
        }
    }
    config = DataContextConfig(
        store_backend_defaults=FilesystemStoreBackendDefaults(root_directory=str(root)),
        data_docs_sites=docs,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def feed_checkpoint(context: Any, contract: FeedContract) -> Any:
    """Checkpoint validating a whole-DataFrame batch of the feed (one or more loads, with their
    load id column) against its suite (no actions: Data Docs are built once per run)."""
    import great_expectations as gx

    from quality.gx_suites import feed_expectations

    # add_or_update_pandas would drop the assets of the feeds validated before in this context
    if "raw" in context.data_sources.all():
        source = context.data_sources.get("raw")
    else:
        source = context.data_sources.add_pandas("raw")
    if contract.name in {a.name for a in source.assets}:
        source.delete_asset(contract.name)
    asset = source.add_dataframe_asset(contract.name)
    batch = asset.add_batch_definition_whole_dataframe("load")
    suite = gx.ExpectationSuite(name=contract.raw_table, expectations=feed_expectations(contract))
    suite = context.suites.add_or_update(suite)
    vd = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=contract.raw_table, data=batch, suite=suite)
    )
    # COMPLETE: every failing row with its load and line, so that a group of loads validated
    # together gives each load its own failing count and examples (quality/gx_attribution.py).
    result_format = {
        "result_format": "COMPLETE",
        "partial_unexpected_count": EXAMPLES,
        "unexpected_index_column_names": [LOAD_ID, "_source_line"],
        "return_unexpected_index_query": False,
    }
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=contract.raw_table, validation_definitions=[vd], actions=[], result_format=result_format
        )
    )
