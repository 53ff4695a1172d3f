"""Real dbt build of core and marts on a simulated population, identity taken from the truth.

The simulator writes landing files and the truth of which person each contact record belongs
to. The loader lands them in raw, dbt builds the layers before identity resolution, a stand-in
core.customer_identity_map is made from the truth (test fixture only: the real one comes from
pipelines/identity), and dbt builds everything after identity. The assertions reconcile the
star schema and customer_360 with staging.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.kpi.clv import build_clv
from pipelines.kpi.forecast import run_forecast
from pipelines.kpi.settings import KpiSettings
from sources.dev.simulator import simulate
from sources.feeds import FEEDS
from sources.ingest.loader import load_feed
from tests.dbt_helpers import DbtRun, _dbt

SIMULATION = {"customers": 200, "days": 30, "seed": 3}
# A POS line is a return line when it points to a sale or has a negative quantity (macro pos_is_return_line).
RETURN_LINE = "(return_of_transaction_id is not null or coalesce(quantity < 0, false))"
SESSION_GAP = timedelta(minutes=30)
OWN_MODELS = {
    "int_customer_account_keys",
    "int_customer_records",
    "int_customer_golden",
    "int_customer_activity",
    "dim_customer",
    "dim_date",
    "dim_product",
    "dim_store",
    "dim_channel",
    "dim_campaign",
    "dim_agent",
    "fct_order_lines",
    "fct_returns",
    "fct_web_events",
    "fct_web_sessions",
    "fct_interactions",
    "fct_campaign_audience",
    "fct_campaign_responses",
    "fct_touchpoints",
    "customer_360",
}


def _identity_map_from_truth(con: duckdb.DuckDBPyConnection, truth: Path) -> None:
    """core.customer_identity_map as identity resolution would write it, with the truth's persons.

    One row per contact record; a record the truth does not name becomes its own customer. Every
    record got its key now (key_since), as in a first identity run.
    """
    con.execute("create schema if not exists core")
    con.execute(
        f"""
        create or replace table core.customer_identity_map as
        with truth as (
            select source_system, source_record_id, min(person_id) as person_id
            from read_csv('{truth / "records.csv"}', all_varchar = true)
            group by source_system, source_record_id
        )
        select
            records.source_system,
            records.source_record_id,
            coalesce('C' || truth.person_id,
                     'U-' || records.source_system || '-' || records.source_record_id) as customer_key,
            cast(1.0 as double) as match_probability,
            case when truth.person_id is null then 'unmatched' else 'truth' end as matched_by,
            now() as key_since
        from intermediate.int_contact_records as records
        left join truth using (source_system, source_record_id)
        """
    )


@dataclass
class Built:
    con: duckdb.DuckDBPyConnection  # read-only, on the built warehouse
    run: DbtRun  # the build after identity
    truth: Path  # the simulator's truth folder


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """Simulated feeds loaded into raw, built before and after a truth-based identity map."""
    yield from build_simulated(tmp_path_factory.mktemp("dbt_core"), SIMULATION)


def build_simulated(work_dir: Path, simulation: dict[str, int]) -> Iterator[Built]:
    """The `built` warehouse for another simulation (`simulate` arguments), in `work_dir`."""
    landing = work_dir / "data" / "landing"
    simulate(out=landing, **simulation)
    warehouse = work_dir / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    try:
        for contract in FEEDS.values():
            load_feed(con, contract, landing, run_id="test-core")
    finally:
        con.close()

    pre = _dbt(["build", "--select", "tag:pre_identity"], warehouse, work_dir / "pre")
    assert pre.returncode == 0, pre.output[-6000:]

    con = duckdb.connect(str(warehouse))
    try:
        _identity_map_from_truth(con, landing.parent / "truth")
        assert con.execute("select count(*) from core.customer_identity_map").fetchone()[0] > 0
    finally:
        con.close()

    # As the pipeline does (pipelines/defs/definitions.py): core, then the Python marts (CLV, forecast)
    # that dbt marts read, then the dbt marts.
    marts_paths = ["path:models/marts", "path:models/restricted"]
    core = _dbt(["build", "--exclude", "tag:pre_identity", *marts_paths], warehouse, work_dir / "post")
    assert core.returncode == 0, core.output[-6000:]
    con = duckdb.connect(str(warehouse))
    try:
        build_clv(con, KpiSettings())
        run_forecast(
            con, horizon=KpiSettings().forecast_weeks, backtest_weeks=KpiSettings().forecast_backtest_weeks
        )
    finally:
        con.close()
    marts = _dbt(["build", "--select", *marts_paths], warehouse, work_dir / "marts")
    assert marts.returncode == 0, marts.output[-6000:]
    post = DbtRun(marts.returncode, core.output + marts.output, core.results + marts.results)
    con = duckdb.connect(str(warehouse), read_only=True)
    yield Built(con, post, landing.parent / "truth")
    con.close()
