"""Outbound telesales: campaign calls and calls to prospects from bought lists, who answers, who buys."""

from __future__ import annotations

import numpy as np
import polars as pl

from sources.dev.simulator.context import CONTACT_SCHEMA, Ctx, schedule
from sources.dev.simulator.lists import compiled_list, vendor_lists_on
from sources.dev.simulator.rand import pick
from sources.dev.simulator.rand import rng as make_rng
from sources.dev.simulator.season import HOURS, factor, utc_offset_minutes

LEAD_CALL_SHARE = 0.5  # prospects with a phone on a bought list whom telesales call
LEAD_CALL_DAYS = 14  # ... within this many days of the list's delivery


def schedule_lead_calls(ctx: Ctx, d: int) -> None:
    """Telesales call prospects from the vendor lists delivered today (those with a phone on the
    record) over the next two weeks; the list is the one the engine writes (same generator)."""
    for v, k in vendor_lists_on(d):
        frame = compiled_list(ctx, d, make_rng(ctx.seed, "vendor", v.code, k), v, k)
        pid = frame.filter(pl.col("phone").is_not_null())["_pid"].to_numpy()
        pid = pid[ctx.pop.is_prospect[pid]]
        r = make_rng(ctx.seed, "leadcalls", v.code, k)
        pid = np.sort(pid[r.random(len(pid)) < LEAD_CALL_SHARE])
        schedule(
            ctx.contacts_due,
            pl.DataFrame(
                {
                    "day": d + r.integers(1, LEAD_CALL_DAYS + 1, len(pid)),
                    "pid": pid,
                    "queue": "telesales",
                    "channel": "phone",
                    "direction": "outbound",
                    "reason": "lead",
                    "order_ref": None,
                    "repeat": False,
                },
                schema_overrides=CONTACT_SCHEMA,
            ),
        )


def outbound_today(ctx: Ctx, d: int, rng: np.random.Generator) -> pl.DataFrame:
    """Outbound telesales calls due today: who answers, who buys (the sales become phone orders)."""
    schedule_lead_calls(ctx, d)
    due = ctx.contacts_due.get(d, [])
    if due and factor(ctx.date(d), "cc") == 0:  # closed: the telesales team calls tomorrow
        ctx.contacts_due[d + 1].extend(due)
        ctx.contacts_due[d] = due = []
    calls = [c for c in due if c["direction"][0] == "outbound"] if due else []
    ctx.contacts_due[d] = [c for c in due if c["direction"][0] != "outbound"]
    if not calls:
        return pl.DataFrame(
            schema={
                "pid": pl.Int64,
                "utc": pl.Int64,
                "answered": pl.Boolean,
                "sale": pl.Boolean,
                "reason": pl.Utf8,
            }
        )
    df = pl.concat(calls)
    n = df.height
    local = pick(rng, HOURS["cc"], n) * 3600 + rng.integers(0, 3600, n)
    utc = ctx.epoch(d) + local - utc_offset_minutes(ctx.date(d), "uk") * 60
    answered = rng.random(n) < 0.6
    sale = answered & (rng.random(n) < 0.14)
    return pl.DataFrame(
        {"pid": df["pid"], "utc": utc, "answered": answered, "sale": sale, "reason": df["reason"]}
    ).sort("utc", maintain_order=True)
