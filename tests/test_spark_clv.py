"""CLV computed on Spark equals the DuckDB asset's: the same fits, every customer's row, the holdout.

A small population is written to DuckDB and copied into a fresh Spark catalog; the Spark step fits
and scores there, the DuckDB asset's build_clv on the DuckDB file, and the three tables are compared.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.kpi.clv import build_clv
from pipelines.kpi.clv_fallback import BGNBD_GAMMA_GAMMA, HISTORICAL_RATE
from pipelines.kpi.settings import KpiSettings
from pipelines.spark.clv import COMPUTED
from pipelines.spark.compare import compare_table
from tests.spark_helpers import run_step, tables_in_spark

pytestmark = [pytest.mark.spark, pytest.mark.integration, pytest.mark.timeout(900)]

# 400 people, 1 to 8 purchase days each over 15 months; every 40th line anonymous, some same-day
# second lines, a refund day with a negative net, costs on two thirds of the lines.
ORDER_LINES = """
    create table core.fct_order_lines as
    with people as (
        select i as c, 1 + hash(i) % 8 as n, hash(i * 7) % 240 as first_day from range(400) t(i)
    ),
    lines as (
        select c, k, first_day + k * (5 + hash(c, k) % 45) as day,
            5 + hash(c, k, 2) % 19000 / 100.0 as price
        from people, range(8) r(k) where k < n
        union all select c, 0, first_day, -3.25 from people where c % 17 = 0
        union all select c, 1, first_day + 20, 12.40 from people where c % 5 = 0 and n > 1
    )
    select
        case when (c + k) % 40 = 0 then null else 'P-' || c end as customer_key,
        timestamptz '2025-01-01 09:00:00+00' + to_days(day::int) + to_hours((hash(c, k) % 12)::int)
            as transaction_at,
        price::decimal(12, 2) as amount,
        case when c % 3 = 0 then null else (price * 0.55)::decimal(12, 2) end as cost_amount,
        case when c % 3 = 0 then null else (price - price * 0.55)::decimal(12, 2) end as margin
    from lines
"""
RETURNS = """
    create table core.fct_returns as
    select 'P-' || i as customer_key, (4 + i % 30)::decimal(12, 2) as refund_amount,
        timestamptz '2025-03-01 12:00:00+00' + to_days((i % 300)::int) as returned_at
    from range(0, 400, 7) t(i)
"""
INTERACTIONS = """
    create table core.fct_interactions as
    select 'P-' || (i % 400) as customer_key, case when i % 4 = 0 then 'outbound' else 'inbound' end
        as direction, timestamptz '2025-01-15 08:00:00+00' + to_days((i * 13 % 420)::int) as started_at
    from range(900) t(i)
"""
TRUSTED = KpiSettings(clv_holdout_days=70)
UNTRUSTED = KpiSettings(clv_holdout_days=70, clv_min_repeat_customers=100_000)


@pytest.fixture(scope="module")
def population(tmp_path_factory) -> dict[str, Path]:
    tables = ["core.fct_order_lines", "core.fct_returns", "core.fct_interactions"]
    return tables_in_spark(tmp_path_factory.mktemp("spark_clv"), [ORDER_LINES, RETURNS, INTERACTIONS], tables)


def _both(population: dict[str, Path], settings: KpiSettings, *options: str) -> tuple[dict, dict]:
    folder, warehouse = population["folder"], population["warehouse"]
    kpi = json.dumps(settings.plain())
    done = run_step("pipelines.spark.clv", "--spark-dir", str(folder), "--kpi", kpi, *options)
    spark = json.loads(done.stdout.splitlines()[-1])
    with duckdb.connect(str(warehouse)) as con:
        con.execute("set TimeZone = 'UTC'")
        duck = json.loads(json.dumps(build_clv(con, settings).as_dict(), default=str))
    compare = ["--warehouse", str(warehouse), "--spark-dir", str(folder), *COMPUTED]
    run_step("pipelines.spark.compare", *compare, ok=(0, 1))  # the tables' differences are asserted below
    for table in COMPUTED:
        diff = compare_table(warehouse, table, folder / "compare")
        assert diff.equal and diff.duckdb_rows > 0, diff
    return spark, duck


def test_clv_on_spark_fits_and_prices_every_customer_as_duckdb_does(population) -> None:
    spark, duck = _both(population, TRUSTED)
    assert duck["clv_models"] == {BGNBD_GAMMA_GAMMA: duck["n_customers"]} and duck["n_customers"] > 300
    for key in ("bgnbd", "gamma_gamma", "n_customers", "n_repeat_customers", "clv_models", "holdout_actual"):
        assert spark[key] == duck[key], key
    assert spark["fallback_reasons"] == duck["fallback_reasons"] == []
    assert spark["total_clv"] == pytest.approx(duck["total_clv"], rel=1e-12)
    assert spark["total_clv_net_profit"] == pytest.approx(duck["total_clv_net_profit"], rel=1e-12)
    assert spark["holdout_predicted"] == pytest.approx(duck["holdout_predicted"], rel=1e-12)
    with duckdb.connect(str(population["warehouse"]), read_only=True) as con:
        sources = dict(
            con.execute("select margin_rate_source, count(*) from marts.customer_clv group by 1").fetchall()
        )
    assert set(sources) == {"customer", "population"}  # customers without costs take the population's rate


def test_clv_scored_by_executors_in_processes_of_their_own_equals_duckdb(population) -> None:
    """Spark's local-cluster master: two executor JVMs beside the driver, each starting its own Python
    workers for the scoring, as a cluster's executors do. The tables still equal DuckDB's."""
    spark, duck = _both(population, TRUSTED, "--master", "local-cluster[2,1,1024]")
    assert spark["clv_models"] == duck["clv_models"] and spark["bgnbd"] == duck["bgnbd"]


def test_an_untrusted_fit_falls_back_alike_on_spark(population) -> None:
    """Everyone at the historical rate: p_alive is NULL on both engines, not NaN on one."""
    spark, duck = _both(population, UNTRUSTED)
    assert spark["clv_models"] == duck["clv_models"] == {HISTORICAL_RATE: duck["n_customers"]}
    assert spark["fallback_reasons"] == duck["fallback_reasons"] and duck["fallback_reasons"]


def test_without_repeat_purchases_spark_writes_the_empty_tables_duckdb_does(tmp_path) -> None:
    """One purchase each: no model can be fitted; both engines say so and leave the three tables empty."""
    once = """create table core.fct_order_lines as
        select 'P-' || i as customer_key,
            timestamptz '2025-01-01 09:00:00+00' + to_days(i::int) as transaction_at,
            9.99::decimal(12, 2) as amount, null::decimal(12, 2) as cost_amount,
            null::decimal(12, 2) as margin
        from range(200) t(i)"""
    made = tables_in_spark(tmp_path, [once], ["core.fct_order_lines"])
    done = run_step(
        "pipelines.spark.clv", "--spark-dir", str(made["folder"]), "--kpi", json.dumps(TRUSTED.plain())
    )
    spark = json.loads(done.stdout.splitlines()[-1])
    with duckdb.connect(str(made["warehouse"])) as con:
        duck = build_clv(con, TRUSTED).as_dict()
    assert spark["warnings"] == duck["warnings"] and "no repeat transactions" in duck["warnings"][0]
    compare = ["--warehouse", str(made["warehouse"]), "--spark-dir", str(made["folder"]), *COMPUTED]
    run_step("pipelines.spark.compare", *compare, ok=(0, 1))
    for table in COMPUTED:
        diff = compare_table(made["warehouse"], table, made["folder"] / "compare")
        assert diff.equal and diff.duckdb_rows == diff.spark_rows == 0, diff
