"""Reverse logistics: which sold lines come back, when, why (five reasons), and the return lines."""

from __future__ import annotations

import numpy as np
import polars as pl

from sources.dev.simulator import writers as w
from sources.dev.simulator.context import Ctx, schedule, store_offsets
from sources.dev.simulator.dirt import Profile, contacts_by_group
from sources.dev.simulator.rand import pick
from sources.dev.simulator.season import HOURS, factor
from sources.feeds.pos import RETURN_REASONS

# Reason codes are positions in the POS contract's return reasons, looked up by name.
REASONS = RETURN_REASONS
RETURNS, RECALL, REPAIR, REPACKAGING = (
    REASONS.index(r) for r in ("returns", "recall", "repair", "repackaging")
)
# Shares among non-recall returns; recalls only hit the catalogue's recalled SKUs.
REASON_W = {"returns": 0.80, "repair": 0.08, "repackaging": 0.06, "recycling": 0.06}
P_DAMAGED = {"returns": 0.06, "recall": 0.10, "repair": 0.55, "repackaging": 0.35, "recycling": 0.45}
DAMAGED = np.array([P_DAMAGED[r] for r in REASONS])  # P(damaged) per reason code
BY_POST = Profile(name=0.95, email=0.6, phone=0.3, address=1.0, dob=0.0, nick=0.2)
AT_DESK = Profile(name=0.4, email=1.0, phone=0.1, address=0.0, dob=0.0, nick=0.2)


def _delay(rng: np.random.Generator, reason: np.ndarray) -> np.ndarray:
    """Days until the goods come back: returns within ~2 weeks (mean 7), recalls ~3 weeks after
    the notice, repairs within ~5 weeks, repackaging within days, recycling ~3 weeks (take-back)."""
    n = len(reason)
    d = np.select(
        [reason == RETURNS, reason == RECALL, reason == REPAIR, reason == REPACKAGING],
        [
            1 + rng.geometric(0.15, n),
            3 + rng.exponential(20, n),
            5 + rng.exponential(30, n),
            1 + rng.geometric(0.3, n),
        ],
        2 + rng.exponential(20, n),
    )
    return np.minimum(d, 360).astype(np.int64)


def schedule_returns(
    ctx: Ctx,
    d: int,
    rng: np.random.Generator,
    frame: pl.DataFrame,
    sku: np.ndarray,
    qty: np.ndarray,
    price: np.ndarray,
    disc: np.ndarray,
    chan: np.ndarray,
    store: np.ndarray,
    delivered_day: np.ndarray,
) -> None:
    """Decide now which of today's lines come back, when and why; file them under the return day."""
    cat = ctx.cat
    n = len(sku)
    p_ret = cat.return_rate[sku] * np.where(chan == 0, 1.0, 1.6)  # remote purchases come back more
    recall = cat.recall[sku] & (rng.random(n) < 0.05)
    back = recall | (rng.random(n) < p_ret)
    if not back.any():
        return
    k = np.flatnonzero(back)
    not_recall = np.array([REASONS.index(x) for x in REASON_W])
    reason = np.where(recall[k], RECALL, not_recall[pick(rng, list(REASON_W.values()), len(k))])
    base = np.where(chan[k] == 0, d, np.maximum(delivered_day[k], d))
    due = base + _delay(rng, reason)
    q = np.where((reason == RETURNS) & (rng.random(len(k)) < 0.8), qty[k], 1)
    # The refund is the net price actually paid: unit_price carries it and discount is 0, so
    # amount = quantity * unit_price - discount holds on return lines too.
    net = np.round((qty[k] * price[k] - disc[k]) / qty[k]).astype(np.int64)
    df = pl.DataFrame(
        {
            "due": due,
            "pid": frame["_pid"].gather(k),
            "orig": frame["transaction_id"].gather(k),
            "ref": frame["customer_ref"].gather(k),
            "sku": sku[k],
            "q": q,
            "net": net,
            "reason": reason,
            "damaged": rng.random(len(k)) < DAMAGED[reason],
            "chan": chan[k],
            "store": store[k],
        }
    )
    schedule(ctx.returns_due, df, "due")


def build_returns(ctx: Ctx, d: int, rng: np.random.Generator, first_seq: int) -> pl.DataFrame | None:
    """Return transactions due today: one transaction per returned line, negative quantity/amount."""
    parts = ctx.returns_due.pop(d, [])
    if not parts:
        return None
    df = pl.concat(parts)
    day = ctx.date(d)
    if factor(day, "store") == 0:  # stores and returns desk closed: the parcels wait a day
        ctx.returns_due[d + 1].append(df)
        return None

    n = df.height
    cat, pop = ctx.cat, ctx.pop
    pid, sku, chan = df["pid"].to_numpy(), df["sku"].to_numpy(), df["chan"].to_numpy()
    post = (chan != 0) & (rng.random(n) < 0.65)
    store = np.where(chan == 0, df["store"].to_numpy(), pop.home_store[pid]).astype(np.int64)
    local_off, real_off = store_offsets(ctx, d)
    hour = np.where(post, pick(rng, HOURS["online"], n), pick(rng, HOURS["store"], n))
    utc = ctx.epoch(d) + hour * 3600 + rng.integers(0, 3600, n) - np.where(post, 0, real_off[store] * 60)
    o = np.argsort(utc, kind="stable")
    df, pid, sku, post, store, utc = df[o], pid[o], sku[o], post[o], store[o], utc[o]
    ref = df["ref"].set(pl.Series(~post & (rng.random(n) < 0.1)), None)  # card not shown at the desk
    no_ref = ref.is_null().to_numpy()
    desk = ~post & (rng.random(n) < 0.2)
    full = contacts_by_group(pop, pid, d, rng, ctx.p, [(post, BY_POST), (desk, AT_DESK)], need_id=no_ref)
    q, net = df["q"].to_numpy(), df["net"].to_numpy()
    tid = w.ids(f"T-{ctx.ymd(d)}-", np.arange(first_seq, first_seq + n), 6)
    carries = ~no_ref | post | desk
    return (
        pl.DataFrame(
            {
                "transaction_id": tid,
                "line_number": w.ints(np.ones(n)),
                "store_id": w.pick_str(
                    [*ctx.stores.store_id, "ONLINE"], np.where(post, len(ctx.stores.store_id), store)
                ),
                "transaction_at": w.ts(utc, np.where(post, 0, local_off[store])),
                "sku": w.pick_str(cat.sku, sku),
                "quantity": w.ints(-q),
                "unit_price": w.money(net),
                "amount": w.money(-q * net),
                "customer_ref": ref,
                "product_name": w.pick_str(cat.name, sku),
                "category": w.pick_str(cat.category, sku),
                "unit_cost": w.money(cat.cost[sku]),
                "discount": w.money(np.zeros(n)),
                "payment_type": w.pick_str(("card", "voucher"), (rng.random(n) < 0.12).astype(int)),
                "channel": w.pick_str(("store", "online"), post.astype(int)),
                "return_of_transaction_id": df["orig"],
                "return_reason": w.pick_str(REASONS, df["reason"].to_numpy()),
                "damaged": w.bools(df["damaged"].to_numpy()),
            }
        )
        .hstack(full)
        .with_columns(
            _pid=pl.Series(pid),
            _ord=pl.Series(utc),
            _tid=tid.set(pl.Series(~carries), None),
        )
    )
