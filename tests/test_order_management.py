"""Order management (issue 23): the order-events feed, its simulation, and the marts recomputed from core."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from sources.dev.simulator import simulate
from sources.dev.simulator.params import DEFAULT
from sources.feeds import FEEDS
from sources.feeds.pos_order_events import ORDER_STATUSES
from tests.dbt_core_fixtures import Built, build_simulated

# 40 days of 600 customers: backorders shipped later and cancelled, orders in transit at the end.
SIMULATION = {"customers": 600, "days": 40, "seed": 3}
RIGHTS = ("right_product", "right_place", "right_customer", "right_cost")


def test_the_feed_contract() -> None:
    c = FEEDS["pos_order_events"]
    assert (c.landing_subdir, c.daily, c.formats) == ("pos_order_events", True, ("csv",))
    assert c.record_id == ("transaction_id", "line_number", "status", "status_at")
    assert {x.name for x in c.required} == {
        "transaction_id",
        "line_number",
        "status",
        "status_at",
        "quantity",
    }
    assert c.column("status").allowed == ORDER_STATUSES
    assert not [x.name for x in c.columns if x.personal]  # order events carry no personal data
    pos = FEEDS["pos"]
    assert pos.column("delivery_postcode").personal == "address"
    assert {pos.column(n).type for n in ("substituted", "signed_by_customer")} == {"BOOLEAN"}
    assert pos.column("quoted_unit_price").type == pos.column("unit_price").type


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean simulation (no late or broken rows), so every event written can be checked; one line
    in five shipped short, so backorders both shipped later and cancelled occur whatever the seed."""
    out = tmp_path_factory.mktemp("orders_sim")
    params = replace(DEFAULT, late_row_share=0.0, malformed_share=0.0, short_ship_share=0.2)
    simulate(customers=1000, days=40, seed=7, out=out, params=params)
    return out


def _events(landing: Path) -> list[tuple]:
    """(transaction_id, line_number, status, status_at text, quantity, tracking_number, file day)."""
    glob = landing / "pos_order_events" / "order_events_*[0-9].csv"  # resends left out
    return duckdb.sql(
        f"""select transaction_id, line_number, status, status_at, quantity, tracking_number,
                   regexp_extract(filename, '(\\d{{4}}-\\d{{2}}-\\d{{2}})', 1) as file_day
            from read_csv('{glob}', filename = true, all_varchar = true, union_by_name = true)
            order by all"""
    ).fetchall()


def test_events_are_emitted_on_their_day_and_in_order(landing: Path) -> None:
    lines: dict[tuple, list[tuple]] = defaultdict(list)
    for tid, ln, status, at, qty, track, file_day in _events(landing):
        assert at.endswith("+00:00") and at[:10] == file_day, (tid, status, at, file_day)
        lines[(tid, ln)].append((status, at, int(qty), track))
    assert len(lines) > 100
    placed_only = 0
    for key, evs in lines.items():
        placed = [e for e in evs if e[0] == "placed"]
        assert len(placed) == 1, key
        by_track: dict[str, dict[str, str]] = defaultdict(dict)
        for status, at, _qty, track in evs:
            assert at >= placed[0][1], key  # same offset: ISO text orders like time
            if track:
                by_track[track][status] = at
        for track, parcel in by_track.items():  # every parcel shipped before it is delivered
            assert "shipped" in parcel, track
            assert parcel.get("delivered", parcel["shipped"]) >= parcel["shipped"], track
        placed_only += len(evs) == 1
    assert placed_only > 0  # orders placed on the last days, nothing shipped yet


def test_backorder_residuals_add_up(landing: Path) -> None:
    units: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for tid, ln, status, _at, qty, track, _day in _events(landing):
        parcel = "_residual" if track and track.endswith("-2") else ""
        units[(tid, int(ln))][status + parcel] += int(qty)
    later = cancelled = 0
    for key, u in units.items():
        if u["backordered"]:  # the first parcel and the residual make up the order
            assert u["shipped"] + u["backordered"] == u["placed"], key
        else:
            assert u["shipped"] in (0, u["placed"]), key
        # the residual ships later or is cancelled, never both, never more than backordered
        assert u["shipped_residual"] + u["cancelled"] <= u["backordered"], key
        assert not (u["shipped_residual"] and u["cancelled"]), key
        assert u["delivered_residual"] <= u["shipped_residual"] and u["delivered"] <= u["shipped"], key
        later += u["shipped_residual"] > 0
        cancelled += u["cancelled"] > 0
    assert later and cancelled
    # the pos export agrees: a short-shipped line's residual is what went on backorder
    pos = duckdb.sql(
        f"""select transaction_id, line_number, quantity_ordered, quantity_shipped
            from read_csv('{landing / "pos" / "pos_*[0-9].csv"}', all_varchar = true, union_by_name = true)
            where promised_at is not null"""
    ).fetchall()
    assert pos
    for tid, ln, ordered, shipped in pos:
        u = units[(tid, int(ln))]
        assert u["placed"] == int(ordered), (tid, ln)
        assert u["backordered"] == int(ordered) - int(shipped), (tid, ln)


@pytest.fixture(scope="module")
def orders_built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    yield from build_simulated(tmp_path_factory.mktemp("orders_dbt"), SIMULATION)


def _line_status(units: dict[str, int]) -> str:
    """The documented status rules (docs/kpis.md), written again apart from the SQL."""
    if units["delivered"] == 0 and units["cancelled"] >= units["placed"]:
        return "cancelled"
    if units["delivered"] + units["cancelled"] >= units["placed"]:
        return "delivered"
    if units["backordered"] > units["shipped_later"] + units["cancelled"]:
        return "backordered"
    return "shipped" if units["shipped"] > units["delivered"] else "placed"


def _band(days: int) -> str:
    return (
        "0_2_days"
        if days <= 2
        else "3_6_days"
        if days <= 6
        else "7_13_days"
        if days <= 13
        else "14_plus_days"
    )


def _as_of(con: duckdb.DuckDBPyConnection) -> object:
    return con.execute("select max(transaction_at)::date from core.fct_order_lines").fetchone()[0]


def _lines_as_of(con: duckdb.DuckDBPyConnection) -> dict[tuple, dict]:
    as_of = _as_of(con)
    rows = con.execute(
        "select transaction_id, line_number, status, status_at, quantity from core.fct_order_status_events "
        "where status_at::date <= ? order by transaction_id, line_number, status_at, event_sequence",
        [as_of],
    ).fetchall()
    lines: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    for tid, ln, status, at, qty in rows:
        u = lines[(tid, ln)]
        u[status] += qty
        if status == "placed":
            u["placed_at"] = min(u.get("placed_at") or at, at)
        if status == "backordered" and not u.get("backordered_at"):
            u["backordered_at"] = at
        if status == "shipped" and u.get("backordered_at") and at > u["backordered_at"]:
            u["shipped_later"] += qty
    return {k: u for k, u in lines.items() if u.get("placed_at")}


@pytest.mark.integration
def test_kpi_order_status_is_recomputed_from_core(orders_built: Built) -> None:
    con = orders_built.con
    as_of = _as_of(con)
    expect: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for u in _lines_as_of(con).values():
        g = expect[(_line_status(u), _band((as_of - u["placed_at"].date()).days))]
        g["order_lines"] += 1
        g["units_ordered"] += u["placed"]
        g["units_backordered"] += u["backordered"]
        g["units_backorder_shipped"] += u["shipped_later"]
        g["units_backorder_open"] += max(u["backordered"] - u["shipped_later"] - u["cancelled"], 0)
    cols = [
        "order_lines",
        "units_ordered",
        "units_backordered",
        "units_backorder_shipped",
        "units_backorder_open",
    ]
    got = {
        (r[0], r[1]): dict(zip(cols, r[2:], strict=True))
        for r in con.execute(
            f"select current_status, age_band, {', '.join(cols)} from marts.kpi_order_status"
        ).fetchall()
    }
    assert got == {k: {c: v[c] for c in cols} for k, v in expect.items()}
    statuses = {k[0] for k in got}
    # orders in transit at the end; whether one placed late on the last day is still unshipped is
    # chance (most ship within hours), so 'placed' is left to the dbt unit test of kpi_order_status
    assert {"delivered", "shipped"} <= statuses, statuses
    assert sum(v["units_backordered"] for v in got.values()) > 0


@pytest.mark.integration
def test_undelivered_orders_count_the_orders_in_transit(orders_built: Built) -> None:
    con = orders_built.con
    per_order: dict[str, list[dict]] = defaultdict(list)
    for (tid, _ln), u in _lines_as_of(con).items():
        per_order[tid].append(u)
    expect: dict[object, int] = defaultdict(int)
    for lines in per_order.values():
        if sum(u["delivered"] for u in lines) == 0 and not all(_line_status(u) == "cancelled" for u in lines):
            month = min(u["placed_at"] for u in lines).date().replace(day=1)
            expect[month] += 1
    # orders whose exported lines lack delivered_at (none in the simulation: it exports on delivery)
    assert not con.execute(
        "select count(*) from core.fct_order_lines where is_shipped_order and delivered_at is null"
    ).fetchone()[0]
    got = dict(con.execute("select month, undelivered_orders from marts.kpi_perfect_order").fetchall())
    assert {m: n for m, n in got.items() if n} == dict(expect)
    assert sum(expect.values()) > 0


@pytest.mark.integration
def test_the_other_rs_are_recomputed_from_core(orders_built: Built) -> None:
    con = orders_built.con
    rows = con.execute(
        f"""select transaction_id, date_trunc('month', transaction_at)::date, delivered_at is not null,
                   on_time, in_full, documentation_ok, {", ".join(RIGHTS)}
            from core.fct_order_lines where is_shipped_order"""
    ).fetchall()
    damaged = {
        r[0]
        for r in con.execute("select original_transaction_id from core.fct_returns where damaged").fetchall()
    }
    orders: dict[str, list[tuple]] = defaultdict(list)
    for r in rows:
        orders[r[0]].append(r)
    expect: dict[object, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for tid, lines in orders.items():
        if not all(line[2] for line in lines):
            continue
        month = min(line[1] for line in lines)
        verdicts = []
        for i, name in enumerate(RIGHTS):
            values = [line[6 + i] for line in lines]
            verdict = False if False in values else (True if None not in values else None)
            verdicts.append(verdict)
            expect[month][f"{name}_orders"] += verdict is True
            expect[month][f"{name}_measured_orders"] += verdict is not None
        four = all(line[3] for line in lines) and all(line[4] for line in lines)
        four = four and all(line[5] is True for line in lines) and tid not in damaged
        all8 = False if (not four or False in verdicts) else (True if None not in verdicts else None)
        expect[month]["perfect_orders_all_criteria"] += all8 is True
        expect[month]["all_criteria_measured_orders"] += all8 is not None
    cols = [f"{n}_{s}" for n in RIGHTS for s in ("orders", "measured_orders")]
    cols += ["perfect_orders_all_criteria", "all_criteria_measured_orders"]
    got = {
        r[0]: dict(zip(cols, r[1:], strict=True))
        for r in con.execute(
            f"select month, {', '.join(cols)} from marts.kpi_perfect_order where orders > 0"
        ).fetchall()
    }
    assert got == {m: {c: v[c] for c in cols} for m, v in expect.items()}
    total = {c: sum(v[c] for v in got.values()) for c in cols}
    for name in RIGHTS:  # each criterion is measured and fails somewhere, but not everywhere
        assert 0 < total[f"{name}_orders"] <= total[f"{name}_measured_orders"]
    assert 0 < total["perfect_orders_all_criteria"] < total["all_criteria_measured_orders"]
    rates = con.execute(
        "select bool_and(right_cost_rate = right_cost_orders / right_cost_measured_orders) "
        "from marts.kpi_perfect_order where right_cost_measured_orders > 0"
    ).fetchone()[0]
    assert rates
