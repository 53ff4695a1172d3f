"""The day loop: generate every feed day by day, delay some rows, write files, truth and the summary."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from sources.dev.simulator.callcenter import callcenter_day, outbound_today, staffing
from sources.dev.simulator.campaigns import campaign_on, launch
from sources.dev.simulator.catalog import build_catalog
from sources.dev.simulator.context import Ctx, schedule
from sources.dev.simulator.delivery import CHAT_RAW, Delivery
from sources.dev.simulator.lists import compiled_list, response_list, vendor_lists_on
from sources.dev.simulator.params import DEFAULT, Params
from sources.dev.simulator.population import build_population, build_stores
from sources.dev.simulator.pos import pos_day
from sources.dev.simulator.rand import rng
from sources.dev.simulator.truth import write_params, write_persons
from sources.dev.simulator.web import web_day
from sources.dev.simulator.writers import Sink


def simulate(
    customers: int,
    days: int,
    seed: int,
    out: Path,
    truth: Path | None = None,
    start_date: date = date(2025, 1, 1),
    progress: Callable[[str, int, int], None] | None = None,
    params: Params = DEFAULT,
) -> dict:
    """Write `days` days of landing files for `customers` customers under `out`; truth beside it.

    Deterministic for a seed, and day d's files are byte-identical whatever `days` is (d < days):
    every day draws from its own generator (seed, stream, day) and state only flows forward.
    Existing files are overwritten, never deleted: use a fresh `out` for a shorter run.
    """
    if customers < 1 or days < 0 or seed < 0:
        raise ValueError("customers must be >= 1, days >= 0 and seed >= 0")
    t0 = time.perf_counter()
    out = Path(out)
    truth = Path(truth) if truth is not None else out.parent / "truth"
    stores, cat = build_stores(), build_catalog(seed)
    pop = build_population(customers, seed, start_date, params, stores, len(cat.categories))
    ctx = Ctx(seed, start_date, params, pop, cat, stores)
    sink = Sink(out, truth, params.malformed_share, params.duplicate_file_share)
    try:
        _days(ctx, days, Delivery(sink, seed, params.late_row_share), staffing(ctx), progress)
    finally:
        sink.close()
    write_persons(ctx, truth / "persons.csv", days)
    write_params(
        truth / "params.json",
        customers=customers,
        days=days,
        seed=seed,
        start_date=start_date,
        out=out,
        params=params,
        n_persons=pop.n,
    )
    stats = sink.stats
    return {
        "customers": customers,
        "persons": pop.n,
        "days": days,
        "seed": seed,
        "start_date": start_date.isoformat(),
        "out": str(out),
        "truth": str(truth),
        "files": {f: s.files for f, s in stats.items()},
        "rows": {f: s.rows for f, s in stats.items()},
        "malformed": {f: dict(s.malformed) for f, s in stats.items()},
        "late_rows": {f: s.late_rows for f, s in stats.items()},
        "duplicate_files": {f: s.duplicate_files for f, s in stats.items()},
        "truth_rows": sum(s.truth_rows for s in stats.values()),
        "seconds": round(time.perf_counter() - t0, 2),
    }


def _days(
    ctx: Ctx, days: int, out: Delivery, staff: np.ndarray, progress: Callable[[str, int, int], None] | None
) -> None:
    seed, params = ctx.seed, ctx.p
    pos_deferred: dict[int, list[pl.DataFrame]] = defaultdict(list)  # online orders by delivery day
    order_events: dict[int, list[pl.DataFrame]] = defaultdict(list)  # status events by their day
    for d in range(days):
        ymd = ctx.date(d).isoformat()
        camp = campaign_on(ctx, d)
        if camp is not None:
            audience = launch(ctx, camp, d, rng(seed, "campaign", d))
            out.once("campaign_audience", f"lists/audience/audience_{camp.campaign_id}.csv", audience)
        # Outbound telesales first: their sales are phone orders in today's POS data.
        outbound = outbound_today(ctx, d, rng(seed, "outbound", d))
        sales = outbound.filter("sale")
        pos = pos_day(ctx, d, rng(seed, "pos", d), (sales["pid"].to_numpy(), sales["utc"].to_numpy()))
        for e, frame in pos.deferred.items():
            pos_deferred[e].append(frame)
        for e, frame in pos.events.items():
            order_events[e].append(frame)
        schedule(ctx.contacts_due, pos.issues)
        web = web_day(ctx, d, rng(seed, "web", d), pos.online)
        calls, chats = callcenter_day(ctx, d, rng(seed, "callcenter", d), pos.phone, outbound, staff)

        sales_today = pl.concat([pos.today, *pos_deferred.pop(d, [])], how="diagonal_relaxed")
        sales_today = sales_today.sort(["_ord", "transaction_id"], maintain_order=True)
        out.daily("pos", "pos", f"pos/pos_{ymd}.csv", sales_today, "csv", d, key="transaction_id")
        events = pl.concat(order_events.pop(d, []), how="diagonal_relaxed") if d in order_events else None
        if events is not None:
            rel = f"pos_order_events/order_events_{ymd}.csv"
            out.daily("pos_order_events", "pos_order_events", rel, events, "csv", d)
        gz = rng(seed, "webformat", d).random() >= params.plain_web_share
        out.daily(
            "web",
            "web",
            f"web/web_{ymd}.jsonl" + (".gz" if gz else ""),
            web,
            "jsonl.gz" if gz else "jsonl",
            d,
        )
        out.daily("callcenter", "calls", f"callcenter/calls_{ymd}.csv", calls, "csv", d)
        out.daily("callcenter", "chat", f"callcenter/chat_{ymd}.jsonl", chats, "jsonl", d, raw=CHAT_RAW)
        for cid, df in ctx.responses.pop(d, []):
            frame = response_list(ctx, d, rng(seed, "responses", cid), cid, df)
            out.once("response_list", f"lists/response/responses_{cid}_{ymd}.csv", frame)
        for v, k in vendor_lists_on(d):
            frame = compiled_list(ctx, d, rng(seed, "vendor", v.code, k), v, k)
            out.once("compiled_list", f"lists/compiled/{v.vendor}_L{k:02d}_{ymd}.csv", frame)
        if progress is not None:
            progress("simulate", d + 1, days)
