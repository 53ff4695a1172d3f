"""Core star schema and customer_360 built by dbt on a simulated population (tests/dbt_core_fixtures)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import duckdb
import pytest
import yaml

from tests.dbt_core_fixtures import OWN_MODELS, RETURN_LINE, SESSION_GAP, Built
from tests.dbt_helpers import DBT_PROJECT_DIR, _rows

pytestmark = pytest.mark.integration  # real dbt builds (tests/dbt_core_fixtures.py)


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return con.execute(sql).fetchone()[0]


def test_build_after_identity_passes(built: Built) -> None:
    run = built.run
    by_kind: dict[str, int] = defaultdict(int)
    for result in run.results:
        # Past campaign sends without consent warn (kpi_consent_compliance); nothing else may.
        warns = "sends_without_consent" in result["unique_id"]
        ok = ("success", "pass", "warn") if warns else ("success", "pass")
        assert result["status"] in ok, (result["unique_id"], result["message"])
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
        from core.dim_customer c
        join read_csv('{built.truth / "persons.csv"}', all_varchar = true) p
            on c.customer_key = 'C' || p.person_id
        where c.is_current and c.last_name is not null
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


def test_customer_360_serves_coarse_profile_only(built: Built) -> None:
    """Issue 22: district and age band instead of the postcode and date of birth (core.dim_customer)."""
    con = built.con
    columns = {
        c
        for (c,) in con.execute(
            "select column_name from duckdb_columns() where table_name = 'customer_360'"
        ).fetchall()
    }
    assert {"postcode_district", "age_band", "region"} <= columns
    assert not columns & {"first_name", "email", "phone", "postcode", "date_of_birth", "account_ids"}
    wrong = _one(
        con,
        "select count(*) from marts.customer_360 c join core.dim_customer d using (customer_sk) "
        "where d.postcode is not null and not starts_with(replace(d.postcode, ' ', ''), c.postcode_district)",
    )
    assert wrong == 0
    assert _one(con, "select count(*) from marts.customer_360 where postcode_district is not null") > 0
