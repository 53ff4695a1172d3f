"""Point-of-sale lines: store, online and phone purchases, fulfilment, and returns by reason."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from sources.dev.simulator import writers as w
from sources.dev.simulator.context import Ctx, store_offsets
from sources.dev.simulator.dirt import Profile, contacts_by_group
from sources.dev.simulator.order_events import order_events, perfect_order_columns
from sources.dev.simulator.rand import pick
from sources.dev.simulator.rand import rng as stream
from sources.dev.simulator.returns import build_returns, schedule_returns
from sources.dev.simulator.season import HOURS, factor, peak, sale_day

CHANNELS = ("store", "online", "phone")
PAY = {
    "store": (("card", 0.68), ("cash", 0.20), ("voucher", 0.03), ("wallet", 0.09)),
    "online": (("card", 0.72), ("wallet", 0.22), ("voucher", 0.03), ("invoice", 0.03)),
    "phone": (("card", 0.80), ("invoice", 0.20)),
}
PAY_TYPES = ("card", "cash", "voucher", "invoice", "wallet")
# Which contact fields each kind of sale carries. Online/phone orders need a delivery address;
# in store only e-receipts (e-mail) and loyalty enrolments give contact details.
SHIP = Profile(name=0.98, email=0.97, phone=0.7, address=1.0, dob=0.03, nick=0.2, intl=0.3)
PHONE_ORDER = Profile(name=0.95, email=0.5, phone=0.9, address=1.0, dob=0.05, typo=2.0, nick=0.3)
E_RECEIPT = Profile(name=0.3, email=1.0, phone=0.05, address=0.0, dob=0.0, nick=0.1)
ENROL = Profile(name=1.0, email=0.9, phone=0.8, address=0.95, dob=0.7, nick=0.05, typo=1.5)


@dataclass
class PosDay:
    today: pl.DataFrame  # store sales and all returns, for today's file
    deferred: dict[int, pl.DataFrame]  # online/phone orders by delivery (export) day
    online: tuple[np.ndarray, np.ndarray, np.ndarray]  # (pid, utc, sku) for web checkout sessions
    phone: tuple[np.ndarray, np.ndarray, pl.Series]  # (pid, utc, transaction_id) for the call centre
    issues: pl.DataFrame | None  # delivery problems that make people call, with the day they call
    events: dict[int, pl.DataFrame]  # order status events by the day they happen


def pos_day(
    ctx: Ctx, d: int, rng: np.random.Generator, forced_phone: tuple[np.ndarray, np.ndarray]
) -> PosDay:
    pop, p, cat = ctx.pop, ctx.p, ctx.cat
    day = ctx.date(d)
    f = np.array([factor(day, c) for c in CHANNELS])
    active = (pop.acq_day <= d) & (pop.churn_day > d)
    cand = np.flatnonzero(active)
    expect = pop.rate[cand] * (pop.channel_w[cand] @ f.astype(np.float32)) * ctx.boost_today(d, cand)
    buyers = cand[(rng.random(len(cand)) < -np.expm1(-expect)) | (pop.acq_day[cand] == d)]
    cw = pop.channel_w[buyers] * f
    cw[pop.acq_day[buyers] == d, 1:] *= 0.5  # first purchases happen mostly in a store
    cw[:, 2] *= 0.5  # half of phone orders come from outbound telesales (forced below)
    cum = np.cumsum(cw, axis=1)
    chan = (rng.random(len(buyers))[:, None] * cum[:, -1:] > cum).sum(axis=1)
    if f[0] == 0:  # stores closed (Christmas): nobody buys in a store
        keep = chan != 0
        buyers, chan = buyers[keep], chan[keep]
    buyers = np.concatenate([buyers, forced_phone[0]])
    chan = np.concatenate([chan, np.full(len(forced_phone[0]), 2)])
    nt = len(buyers)
    local_off, real_off = store_offsets(ctx, d)
    store = pop.home_store[buyers].astype(np.int64)
    # Time of sale: store hours are local, so subtract the store's real offset to get UTC.
    hour = np.where(chan == 0, pick(rng, HOURS["store"], nt), pick(rng, HOURS["online"], nt))
    hour = np.where(chan == 2, pick(rng, HOURS["cc"], nt), hour)
    utc = ctx.epoch(d) + hour * 3600 + rng.integers(0, 3600, nt)
    utc = np.where(chan == 0, utc - real_off[store] * 60, utc)
    if len(forced_phone[0]):
        utc[-len(forced_phone[0]) :] = forced_phone[1]
    order = np.argsort(utc, kind="stable")
    buyers, chan, store, utc = buyers[order], chan[order], store[order], utc[order]
    tid = w.ids(f"T-{ctx.ymd(d)}-", np.arange(1, nt + 1), 6)

    # Basket: more and pricier lines for high spenders (Gamma-Gamma-like spend per person).
    spend = pop.spend[buyers]
    nl = np.minimum(1 + rng.poisson(0.3 + 0.7 * spend), 8)
    line_t = np.repeat(np.arange(nt), nl)
    fav = rng.random(len(line_t)) < 0.55
    catg = np.where(
        fav,
        pop.fav_cat[buyers[line_t], rng.integers(0, 2, len(line_t))],
        rng.integers(0, len(cat.categories), len(line_t)),
    )
    pline = cat.draw_lines(rng, catg)
    p_up = np.clip(0.12 + 0.22 * (spend[line_t] - 1), 0.03, 0.6)
    u = rng.random(len(line_t))
    tier = np.where(u < p_up * 0.35, 2, np.where(u < p_up, 1, 0))
    partner = cat.partner[pline]
    add = (partner >= 0) & (rng.random(len(line_t)) < 0.35)  # cross-sell pairs (affinities)
    line_t = np.concatenate([line_t, line_t[add]])
    sku = np.concatenate([cat.sku_of(pline, tier), cat.sku_of(partner[add], np.zeros(add.sum(), int))])
    o = np.argsort(line_t, kind="stable")
    line_t, sku = line_t[o], sku[o]
    nline = len(line_t)
    first = np.r_[True, line_t[1:] != line_t[:-1]]
    line_no = np.arange(nline) - np.maximum.accumulate(np.where(first, np.arange(nline), 0)) + 1
    price = cat.price[sku]
    qty = (
        np.where(price < 1000, pick(rng, [0.6, 0.25, 0.1, 0.05], nline), pick(rng, [0.85, 0.12, 0.03], nline))
        + 1
    )
    gross = qty * price
    pct = np.where(rng.random(nline) < sale_day(day), pick(rng, [0.5, 0.3, 0.2], nline) + 1, 0) * 10
    member = (pop.has_lc[buyers[line_t]]) & (rng.random(nline) < 0.2)
    pct = np.maximum(pct, np.where(member, 5, 0))
    disc = np.round(gross * pct / 100).astype(np.int64)
    pay_idx = np.zeros(nt, dtype=np.int64)
    for ci, cname in enumerate(CHANNELS):
        m = np.flatnonzero(chan == ci)
        opts = PAY[cname]
        pay_idx[m] = np.array([PAY_TYPES.index(k) for k, _ in opts])[pick(rng, [v for _, v in opts], len(m))]

    # Identification: loyalty card scanned in store, account for online/phone orders.
    acc = pop.ident["account_id"].gather(buyers)
    lc = pop.ident["loyalty_id"].gather(buyers)
    r = rng.random(nt)
    use_lc = (chan == 0) & pop.has_lc[buyers] & (r < 0.85) | (chan == 2) & pop.has_lc[buyers] & (r < 0.2)
    use_acc = ~use_lc & pop.has_acc[buyers] & np.where(chan == 0, r > 0.9, np.where(chan == 1, True, r < 0.9))
    ref = pl.select(
        pl.when(pl.lit(pl.Series(use_lc)))
        .then(pl.lit(lc))
        .when(pl.lit(pl.Series(use_acc)))
        .then(pl.lit(acc))
        .otherwise(None)
    ).to_series()
    enrol = (chan == 0) & (pop.acq_day[buyers] == d) & pop.has_lc[buyers]
    ereceipt = (chan == 0) & ~enrol & (rng.random(nt) < np.where(use_lc, 0.3, 0.2))
    groups = [(chan == 1, SHIP), (chan == 2, PHONE_ORDER), (enrol, ENROL), (ereceipt, E_RECEIPT)]
    cont = contacts_by_group(pop, buyers, d, rng, p, groups, need_id=ref.is_null().to_numpy())
    carries = ref.is_not_null().to_numpy() | (chan != 0) | enrol | ereceipt

    ns = len(ctx.stores.store_id)
    store_opts = [*ctx.stores.store_id, "ONLINE", "PHONE"]
    store_code = np.where(chan == 0, store, ns + chan - 1)
    off = np.where(chan == 0, local_off[store], 0)
    cols = {
        "transaction_id": tid.gather(line_t),
        "line_number": w.ints(line_no),
        "store_id": w.pick_str(store_opts, store_code[line_t]),
        "transaction_at": w.ts(utc[line_t], off[line_t]),
        "sku": w.pick_str(cat.sku, sku),
        "quantity": w.ints(qty),
        "unit_price": w.money(price),
        "amount": w.money(gross - disc),
        "customer_ref": ref.gather(line_t),
        "product_name": w.pick_str(cat.name, sku),
        "category": w.pick_str(cat.category, sku),
        # cost is missing on ~3% of lines (consignment goods), so margin KPIs must cope with nulls
        "unit_cost": w.money(cat.cost[sku]).set(pl.Series(rng.random(nline) < 0.03), None),
        "discount": w.money(disc),
        "payment_type": w.pick_str(PAY_TYPES, pay_idx[line_t]),
        "channel": w.pick_str(CHANNELS, chan[line_t]),
    }
    frame = (
        pl.DataFrame(cols)
        .hstack(cont[line_t])
        .with_columns(
            _pid=pl.Series(buyers[line_t]),
            _ord=pl.Series(utc[line_t]),
            _tid=tid.gather(line_t).set(pl.Series(~carries[line_t]), None),
        )
    )
    ship = chan[line_t] != 0
    shipped = frame.filter(pl.Series(ship))
    deferred, export_day, issues, events = _fulfil(ctx, d, rng, shipped, line_t[ship], qty[ship], price[ship])
    back_from = np.full(nline, -1, dtype=np.int64)  # returns of shipped lines start after delivery
    back_from[ship] = export_day
    schedule_returns(ctx, d, rng, frame, sku, qty, price, disc, chan[line_t], store[line_t], back_from)
    today = frame.filter(~pl.Series(ship))
    ret = build_returns(ctx, d, rng, first_seq=nt + 1)
    if ret is not None:
        today = pl.concat([today, ret], how="diagonal_relaxed")
    online_m = chan == 1
    ol = np.flatnonzero(first)[online_m[line_t[first]]] if nt else np.array([], dtype=np.int64)
    phone = chan == 2
    return PosDay(
        today=today,
        deferred=deferred,
        issues=issues,
        events=events,
        online=(buyers[online_m], utc[online_m], sku[ol]),
        phone=(buyers[phone], utc[phone], tid.filter(pl.Series(phone))),
    )


Fulfilled = tuple[dict[int, pl.DataFrame], np.ndarray, pl.DataFrame | None, dict[int, pl.DataFrame]]


def _fulfil(
    ctx: Ctx,
    d: int,
    rng: np.random.Generator,
    rows: pl.DataFrame,
    line_t: np.ndarray,
    qty: np.ndarray,
    price: np.ndarray,
) -> Fulfilled:
    """Shipped orders: promise, ship, deliver; some late, short-shipped or with wrong paperwork.

    Order lines are exported by the fulfilment system once delivered, so they land in the file of
    the delivery day (2-6 days after the order) with transaction_at on the order day. Returns
    (rows by export day, export day per line, contacts that delivery problems cause, status events
    by day: order_events.py, drawn from a stream of their own so the lines stay as they were).
    A short-shipped line keeps quantity = quantity_ordered (charged as ordered; in-full is
    quantity_shipped == quantity_ordered).
    """
    if rows.height == 0:
        return {}, np.array([], dtype=np.int64), None, {}
    is_peak = peak(ctx.date(d))
    t_ids, t_inv = np.unique(line_t, return_inverse=True)
    nt = len(t_ids)
    order_utc = rows["_ord"].to_numpy()[np.unique(t_inv, return_index=True)[1]]
    express = rng.random(nt) < 0.15
    # Promise: next day (express) or 3 days (standard) by 18:00, one day more after the 14:00 cut-off.
    cutoff = (order_utc + 10 * 3600) // 86400
    promised = (cutoff + np.where(express, 1, 3)) * 86400 + 18 * 3600
    # Calibrated: ~6-7% of orders late normally, ~19% at peak when warehouse and carriers slow down.
    slow = 1.3 if is_peak else 1.0
    shipped = order_utc + (rng.gamma(2.0, np.where(express, 2, 11) * 3600) * slow).astype(np.int64)
    transit = rng.gamma(3.0, np.where(express, 0.3, 0.42) * 86400) * slow
    dday = (shipped + transit.astype(np.int64)) // 86400
    delivered = dday * 86400 + 8 * 3600 + rng.integers(0, 10 * 3600, nt)  # rounds end by 18:00
    delivered = np.where(delivered < shipped + 3600, delivered + 86400, delivered)
    doc_ok = rng.random(nt) >= (0.04 if is_peak else 0.02)
    short = rng.random(len(line_t)) < ctx.p.short_ship_share * (2 if is_peak else 1)
    shipped_q = np.where(short, (rng.random(len(line_t)) * qty).astype(np.int64), qty)
    li = t_inv
    rows = rows.with_columns(
        promised_at=w.ts(promised[li]),
        shipped_at=w.ts(shipped[li]),
        delivered_at=w.ts(delivered[li]),
        quantity_ordered=w.ints(qty),
        quantity_shipped=w.ints(shipped_q),
        documentation_ok=w.bools(doc_ok[li]),
    )
    own = stream(ctx.seed, "orders", d)
    rows = perfect_order_columns(rows, own, li, price, is_peak)
    times = (rows["_ord"].to_numpy(), shipped[li], delivered[li])
    events = order_events(rows, own, ctx.epoch(0) // 86400, times, qty, shipped_q)
    export = (delivered // 86400 - ctx.epoch(0) // 86400).astype(np.int64)
    line_export = export[li]
    deferred = {int(e): rows.filter(pl.Series(line_export == e)) for e in np.unique(line_export)}
    # Late, short or wrongly documented orders make ~45% of their customers get in touch.
    late = delivered > promised
    short_t = np.bincount(li, weights=short, minlength=nt) > 0
    problem = (late | short_t | ~doc_ok) & (rng.random(nt) < 0.45)
    if not problem.any():
        return deferred, line_export, None, events
    first_row = np.unique(li, return_index=True)[1]
    k = np.flatnonzero(problem)
    reason = np.where(short_t[k], "complaint", np.where(late[k], "delivery", "billing"))
    queue = np.where(
        short_t[k] & (rng.random(len(k)) < 0.4), "complaints", np.where(doc_ok[k], "helpdesk", "service")
    )
    call_day = np.maximum(export[k], promised[k] // 86400 - ctx.epoch(0) // 86400) + rng.integers(
        0, 3, len(k)
    )
    issues = pl.DataFrame(
        {
            "day": call_day,
            "pid": rows["_pid"].gather(first_row[k]),
            "queue": queue,
            "channel": np.array(["phone", "chat", "email"])[pick(rng, [0.55, 0.25, 0.2], len(k))],
            "direction": np.full(len(k), "inbound"),
            "reason": reason,
            "order_ref": rows["transaction_id"].gather(first_row[k]),
            "repeat": np.zeros(len(k), dtype=bool),
        }
    )
    return deferred, line_export, issues, events
