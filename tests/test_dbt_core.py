"""Real dbt build of core and marts on a simulated population, identity taken from the truth.

The simulator writes landing files and the truth of which person each contact record belongs
to. The loader lands them in raw, dbt builds the layers before identity resolution, a stand-in
core.customer_identity_map is made from the truth (test fixture only: the real one comes from
pipelines/identity), and dbt builds everything after identity. The assertions reconcile the
star schema and customer_360 with staging.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from sources.feeds import FEEDS
from sources.ingest.loader import load_feed
from sources.simulator import simulate
from tests.dbt_helpers import DBT_PROJECT_DIR, DbtRun, _dbt, _rows

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

    One row per contact record; a record the truth does not name becomes its own customer.
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
            case when truth.person_id is null then 'unmatched' else 'truth' end as matched_by
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
    work_dir = tmp_path_factory.mktemp("dbt_core")
    landing = work_dir / "data" / "landing"
    simulate(out=landing, **SIMULATION)
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

    post = _dbt(["build", "--exclude", "tag:pre_identity"], warehouse, work_dir / "post")
    assert post.returncode == 0, post.output[-6000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    yield Built(con, post, landing.parent / "truth")
    con.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return con.execute(sql).fetchone()[0]


def test_build_after_identity_passes(built: Built) -> None:
    run = built.run
    by_kind: dict[str, int] = defaultdict(int)
    for result in run.results:
        assert result["status"] in ("success", "pass"), (result["unique_id"], result["message"])
        by_kind[result["unique_id"].split(".")[0]] += 1
    built_models = {r["unique_id"].split(".")[-1] for r in run.results if r["unique_id"].startswith("model.")}
    assert built_models >= OWN_MODELS
    assert by_kind["unit_test"] >= 7
    assert by_kind["test"] >= 150


def test_models_land_in_core_and_marts(built: Built) -> None:
    con = built.con
    schemas = dict(
        con.execute(
            "select table_name, table_schema from information_schema.tables "
            "where table_schema in ('intermediate', 'core', 'marts')"
        ).fetchall()
    )
    for name in OWN_MODELS:
        expected = (
            "intermediate" if name.startswith("int_") else "marts" if name == "customer_360" else "core"
        )
        assert schemas.get(name) == expected, name


def test_documented_columns_match_built_columns(built: Built) -> None:
    """Every model of this layer lists exactly its built columns, in order, each described and typed."""
    con = built.con
    documented: dict[str, list[dict[str, Any]]] = {}
    for yml in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        for model in (yaml.safe_load(yml.read_text()) or {}).get("models", []):
            documented[model["name"]] = model.get("columns", [])
    for name in OWN_MODELS:
        built_columns = con.execute(
            "select column_name, data_type from information_schema.columns where table_name = ? "
            "order by ordinal_position",
            [name],
        ).fetchall()
        assert [(c["name"], c["data_type"].replace(" ", "")) for c in documented[name]] == built_columns, name
        assert all(c.get("description") for c in documented[name]), name


def test_one_customer_360_row_per_customer(built: Built) -> None:
    con = built.con
    customers = _one(con, "select count(distinct customer_key) from core.customer_identity_map")
    assert customers > 50
    assert _one(con, "select count(*) from marts.customer_360") == customers
    assert _one(con, "select count(distinct customer_key) from marts.customer_360") == customers
    # exactly one current golden record per customer, and it is the one customer_360 shows
    assert _one(con, "select count(*) from core.dim_customer where is_current") == customers
    assert (
        _one(
            con,
            "select count(*) from marts.customer_360 c join core.dim_customer d "
            "on d.customer_sk = c.customer_sk and d.is_current",
        )
        == customers
    )


def test_order_lines_and_returns_reconcile_with_staging(built: Built) -> None:
    con = built.con
    staged = con.execute(
        f"select count(*), sum(amount) from staging.stg_pos__transaction_lines where not {RETURN_LINE}"
    ).fetchone()
    fact = con.execute("select count(*), sum(amount) from core.fct_order_lines").fetchone()
    assert staged[0] > 0 and fact == staged

    staged_returns = con.execute(
        f"select count(*), -sum(amount) from staging.stg_pos__transaction_lines where {RETURN_LINE}"
    ).fetchone()
    assert (
        con.execute("select count(*), sum(refund_amount) from core.fct_returns").fetchone() == staged_returns
    )

    # customer_360 spreads exactly the attributed orders over the customers
    attributed = con.execute(
        "select count(distinct transaction_id), sum(amount) from core.fct_order_lines "
        "where customer_key is not null"
    ).fetchone()
    assert (
        con.execute("select sum(orders), sum(order_value) from marts.customer_360").fetchone() == attributed
    )


def test_interactions_reconcile_with_staging(built: Built) -> None:
    con = built.con
    staged = _one(con, "select count(*) from staging.stg_callcenter__interactions")
    assert staged > 0
    assert _one(con, "select count(*) from core.fct_interactions") == staged
    attributed = _one(con, "select count(*) from core.fct_interactions where customer_key is not null")
    assert _one(con, "select sum(interactions) from marts.customer_360") == attributed
    # timings: wait = answered - started, handle = talk + hold + wrap
    rows = _rows(
        con,
        "select i.wait_seconds, s.answered_at, s.started_at, i.handle_seconds, i.talk_seconds, "
        "i.hold_seconds, i.wrap_seconds from core.fct_interactions i "
        "join staging.stg_callcenter__interactions s using (interaction_id) where s.answered_at is not null",
    )
    assert rows
    for r in rows:
        assert r["wait_seconds"] == int((r["answered_at"] - r["started_at"]).total_seconds())
        assert r["handle_seconds"] == r["talk_seconds"] + (r["hold_seconds"] or 0) + (r["wrap_seconds"] or 0)


def test_sessions_split_on_30_minute_gap(built: Built) -> None:
    """Recompute the sessions in Python from staging and compare them event by event."""
    con = built.con
    events = con.execute(
        "select anonymous_id, event_id, occurred_at from staging.stg_web__events "
        "order by anonymous_id, occurred_at, event_id"
    ).fetchall()
    expected: dict[str, int] = {}
    previous: tuple[str, Any] | None = None
    number = 0
    for anonymous_id, event_id, occurred_at in events:
        if previous is None or previous[0] != anonymous_id:
            number = 1
        elif occurred_at - previous[1] > SESSION_GAP:
            number += 1
        expected[event_id] = number
        previous = (anonymous_id, occurred_at)
    actual = dict(con.execute("select event_id, session_number from core.fct_web_events").fetchall())
    assert actual == expected
    sessions = _one(
        con, "select count(distinct anonymous_id || '#' || session_number) from core.fct_web_events"
    )
    assert sessions > 1
    assert _one(con, "select count(*) from core.fct_web_sessions") == sessions
    assert _one(con, "select sum(events) from core.fct_web_sessions") == len(events)
    # no gap inside a session exceeds 30 minutes, every gap between sessions does
    gaps = con.execute(
        "select session_id = lag(session_id) over w as same_session, "
        "occurred_at - lag(occurred_at) over w as gap from core.fct_web_events "
        "window w as (partition by anonymous_id order by occurred_at, event_id) qualify gap is not null"
    ).fetchall()
    assert all((gap <= SESSION_GAP) == same for same, gap in gaps)


def test_web_events_reach_customers_through_logins(built: Built) -> None:
    con = built.con
    sources = dict(
        con.execute("select customer_key_source, count(*) from core.fct_web_events group by all").fetchall()
    )
    assert sources.get("identity_map", 0) > 0 and sources.get("browser_login", 0) > 0
    # every event of a browser that ever logged in has a customer, its anonymous events included
    assert (
        _one(
            con,
            "select count(*) from core.fct_web_events e where customer_key is null and exists "
            "(select 1 from intermediate.int_web_anonymous_links l where l.anonymous_id = e.anonymous_id)",
        )
        == 0
    )
    # without a login, only events that are contact records themselves (forms) have one
    assert (
        _one(
            con,
            "select count(*) from core.fct_web_events e where customer_key is not null "
            "and customer_key_source <> 'identity_map' and not exists "
            "(select 1 from intermediate.int_web_anonymous_links l where l.anonymous_id = e.anonymous_id)",
        )
        == 0
    )


def test_consent_only_from_response_lists(built: Built) -> None:
    con = built.con
    assert (
        _one(
            con,
            "select count(*) from marts.customer_360 where response_list_records = 0 "
            "and coalesce(consent_email, consent_sms, consent_phone, consent_mail) is not null",
        )
        == 0
    )


def test_golden_record_reflects_the_truth(built: Built) -> None:
    """Survivorship keeps the person's real surname for most customers (feeds carry typos)."""
    con = built.con
    compared = con.execute(
        f"""
        select count(*), count(*) filter (where lower(c.last_name) = lower(p.last_name))
        from marts.customer_360 c
        join read_csv('{built.truth / "persons.csv"}', all_varchar = true) p
            on c.customer_key = 'C' || p.person_id
        where c.last_name is not null
        """
    ).fetchone()
    assert compared[0] > 20
    assert compared[1] / compared[0] > 0.8, compared


def test_touchpoints_cover_every_channel_family(built: Built) -> None:
    con = built.con
    families = {
        f
        for (f,) in con.execute(
            "select distinct c.channel_family from core.fct_touchpoints t "
            "join core.dim_channel c using (channel_key)"
        ).fetchall()
    }
    assert {"web", "store", "remote_order", "callcenter", "campaign"} <= families
    # first touch per family never after the last, and within the overall first/last touch
    assert (
        _one(
            con,
            "select count(*) from marts.customer_360 where first_touch_at > last_touch_at "
            "or first_store_touch_at < first_touch_at or last_web_touch_at > last_touch_at",
        )
        == 0
    )
