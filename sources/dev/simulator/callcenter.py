"""Call-centre interactions: five queues with hourly capacity, overflow at peaks, csat/nps, repeats."""

from __future__ import annotations

import numpy as np
import polars as pl

from sources.dev.simulator import writers as w
from sources.dev.simulator.context import CONTACT_SCHEMA, Ctx, schedule
from sources.dev.simulator.dirt import Profile, contacts_by_group
from sources.dev.simulator.rand import pick
from sources.dev.simulator.season import HOURS, WEEK, factor, utc_offset_minutes, yearly
from sources.dev.simulator.telesales import outbound_today as outbound_today  # the engine's import

QUEUES = ("service", "telesales", "helpdesk", "chat", "complaints")
AHT = np.array([300.0, 360.0, 420.0, 240.0, 600.0])  # handling seconds; chat agents run 2 chats at once
RESOLVE = np.array([0.86, 0.0, 0.76, 0.80, 0.55])
PATIENCE = {"phone": 500.0, "chat": 600.0}  # mean seconds before hanging up: ~6% abandon normally
REASONS = {
    "service": ("order", "account", "product_info", "billing"),
    "helpdesk": ("technical", "delivery", "returns"),
    "complaints": ("complaint",),
    "chat": ("order", "delivery", "returns", "product_info", "account"),
}
UNRESOLVED = ("escalated", "callback", "transferred", "unresolved")
PHONE_IN = Profile(name=0.75, email=0.2, phone=0.85, address=0.1, dob=0.05, typo=2.0, landline=0.3)
CHAT = Profile(name=0.8, email=0.7, phone=0.1, address=0.05, dob=0.0, nick=0.5)
EMAIL = Profile(name=0.85, email=1.0, phone=0.1, address=0.05, dob=0.0)
OUTBOUND = Profile(name=0.9, email=0.05, phone=1.0, address=0.0, dob=0.0, typo=2.0, landline=0.3)
ABANDONED = Profile(name=0.0, email=0.0, phone=0.85, address=0.0, dob=0.0, landline=0.3)  # caller id only
DIALLED = Profile(name=0.0, email=0.0, phone=1.0, address=0.0, dob=0.0, landline=0.3)  # unanswered outbound


def callcenter_day(
    ctx: Ctx,
    d: int,
    rng: np.random.Generator,
    phone_orders: tuple[np.ndarray, np.ndarray, pl.Series],
    outbound: pl.DataFrame,
    base: np.ndarray,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Interactions of day d: organic contacts, scheduled ones (delivery problems, repeats),
    inbound phone orders and outbound telesales. `base` is the staff plan from staffing().
    Returns (phone and e-mail interactions for the CSV, chat interactions for the JSONL file)."""
    pop, p, day = ctx.pop, ctx.p, ctx.date(d)
    f = factor(day, "cc")
    known = pop.acq_day <= d
    rate = (
        pop.cc_rate * f * np.where(pop.churn_day <= d, 0.5, 1.0) * np.where(known | pop.is_prospect, 1.0, 0.2)
    )
    org = np.flatnonzero(rng.random(pop.n) < -np.expm1(-rate))
    chan = pick(rng, [0.6, 0.25, 0.15], len(org))
    q_org = np.where(chan == 1, 3, np.array([0, 2, 4])[pick(rng, [0.5, 0.3, 0.2], len(org))])
    waiting = ctx.contacts_due.pop(d, [])
    if f == 0:  # closed (Christmas Day): whoever wanted to call tries again tomorrow
        ctx.contacts_due[d + 1].extend(waiting)
        waiting = []
    due = pl.concat(waiting or [pl.DataFrame(schema=CONTACT_SCHEMA)], how="vertical_relaxed")
    o_pid, o_utc, o_tid = phone_orders
    sold = outbound.filter("sale")
    sold_keys = set(zip(sold["pid"].to_list(), sold["utc"].to_list(), strict=True))
    inbound_order = np.array(
        [k not in sold_keys for k in zip(o_pid.tolist(), o_utc.tolist(), strict=True)], dtype=bool
    )
    tid_by = dict(zip(zip(o_pid.tolist(), o_utc.tolist(), strict=True), o_tid.to_list(), strict=True))
    # One table of all interactions today; kind 0 organic/due, 1 inbound phone order, 2 outbound.
    n_org, n_due, n_ord, n_out = len(org), due.height, int(inbound_order.sum()), outbound.height
    pid = np.concatenate(
        [org, due["pid"].to_numpy(), o_pid[inbound_order], outbound["pid"].to_numpy()]
    ).astype(np.int64)
    kind = np.repeat([0, 0, 1, 2], [n_org, n_due, n_ord, n_out])
    channel = np.concatenate(
        [chan, _codes(due["channel"], ("phone", "chat", "email")), np.zeros(n_ord + n_out)]
    ).astype(int)
    queue = np.concatenate([q_org, _codes(due["queue"], QUEUES), np.ones(n_ord + n_out)]).astype(int)
    queue = np.where(channel == 1, 3, queue)  # every chat goes to the chat team
    n = len(pid)
    reason = np.empty(n, dtype=object)
    for qi, qn in enumerate(QUEUES):
        m = np.flatnonzero(queue[:n_org] == qi)
        if qn in REASONS:
            reason[m] = np.array(REASONS[qn], dtype=object)[rng.integers(0, len(REASONS[qn]), len(m))]
    reason[n_org : n_org + n_due] = due["reason"].to_numpy()
    reason[n_org + n_due : n_org + n_due + n_ord] = "order"
    reason[n_org + n_due + n_ord :] = outbound["reason"].to_numpy()  # offer (campaign) or lead
    order_ref = pl.concat(
        [
            pl.Series([None] * n_org, dtype=pl.Utf8),
            due["order_ref"].cast(pl.Utf8),
            o_tid.filter(pl.Series(inbound_order)),
            pl.Series(
                [
                    tid_by.get((a, b))
                    for a, b in zip(outbound["pid"].to_list(), outbound["utc"].to_list(), strict=True)
                ],
                dtype=pl.Utf8,
            ),
        ]
    )
    repeat = np.concatenate(
        [np.zeros(n_org, bool), due["repeat"].to_numpy().astype(bool), np.zeros(n_ord + n_out, bool)]
    )

    uk = utc_offset_minutes(day, "uk") * 60
    hours = np.select(
        [channel == 1, channel == 2],
        [pick(rng, HOURS["chat"], n), pick(rng, HOURS["email"], n)],
        pick(rng, HOURS["cc"], n),
    )
    start = ctx.epoch(d) + hours * 3600 + rng.integers(0, 3600, n) - np.where(channel == 2, 0, uk)
    start[kind == 2] = outbound["utc"].to_numpy()
    # Queueing. Agents are planned for the weekly and hourly pattern and half the seasonal swing
    # (sqrt: December temps), with slack; demand above the plan overflows into long waits.
    hour_idx = np.clip((start - ctx.epoch(d)) // 3600, 0, 23)
    live = (channel != 2) & (kind == 0)
    load = np.zeros((len(QUEUES), 24))
    np.add.at(load, (queue[live], hour_idx[live]), 1)
    planned = WEEK["cc"][day.weekday()] * np.sqrt(yearly(day)) * p.staffing_slack
    rho_actual = load / np.maximum(base * planned, 1e-9)
    rho_factor = f / planned
    # Few calls per hour (small populations) make counts noise: lean on the day's demand factor.
    w_actual = np.minimum(1.0, base / 10)
    r = (w_actual * rho_actual + (1 - w_actual) * rho_factor)[queue, hour_idx]
    # Mean wait ~15 s at quiet times, ~75 s at utilisation 1, ~3 min at 1.2, ~8 min at 1.4.
    wait = rng.exponential(np.minimum(15 + 60 * r**6, 1800))
    patience = rng.exponential(np.where(channel == 1, PATIENCE["chat"], PATIENCE["phone"]))
    abandoned = live & (wait > patience)
    talk = rng.gamma(2.0, AHT[queue] / 2)
    # E-mails are answered within hours, by the end of the day (the export runs at midnight).
    day_left = np.maximum(60, ctx.epoch(d + 1) - start - talk - 120)
    email_wait = np.minimum(rng.gamma(2.0, 1.5 * 3600, n), day_left)
    wait = np.where(channel == 2, email_wait, np.where(kind == 2, rng.integers(5, 25, n), wait))
    hold = np.where(rng.random(n) < 0.35, rng.exponential(60, n), 0).astype(np.int64)
    wrap = rng.gamma(2.0, 20, n).astype(np.int64)
    no_answer = np.zeros(n, bool)
    if n_out:
        no_answer[-n_out:] = ~outbound["answered"].to_numpy()
    started = np.where(kind == 1, 0, start)
    started[kind == 1] = o_utc[inbound_order] - (wait[kind == 1] + talk[kind == 1] + hold[kind == 1]).astype(
        np.int64
    )
    answered = (started + wait).astype(np.int64)
    ended = np.where(abandoned, started + patience, answered + talk + hold).astype(np.int64)
    ended = np.where(no_answer, started + 25, ended)
    gone = abandoned | no_answer

    p_res = RESOLVE[queue] - 0.1 * (r > 1) - 0.05 * repeat - 0.05 * (wait > 600)
    resolved = rng.random(n) < p_res
    tele = queue == 1
    sale = np.zeros(n, bool)
    sale[kind == 1] = True
    if n_out:
        sale[-n_out:] = outbound["sale"].to_numpy()
    outcome = np.where(resolved, "resolved", np.array(UNRESOLVED, dtype=object)[rng.integers(0, 4, n)])
    outcome = np.where(tele, np.where(sale, "sale", np.where(no_answer, "no_answer", "no_sale")), outcome)
    unresolved = ~resolved & ~tele & ~gone
    _consequences(ctx, d, rng, pid, queue, channel, reason, order_ref, unresolved, abandoned)

    survey = ~gone & (kind != 2) & (rng.random(n) < p.survey_share)
    cs = np.where(
        resolved, pick(rng, [0.05, 0.1, 0.35, 0.5], n) + 2, pick(rng, [0.35, 0.3, 0.25, 0.1], n) + 1
    )
    cs = np.clip(cs - (wait > 300) * (channel != 2), 1, 5)
    nps = np.clip(np.round(2.2 * cs - 1 + rng.normal(0, 1.2, n)), 0, 10).astype(np.int64)

    acc, lc = pop.ident["account_id"].gather(pid), pop.ident["loyalty_id"].gather(pid)
    give = rng.random(n) < np.select([kind == 2, channel == 1, channel == 2], [0.95, 0.6, 0.3], 0.55)
    ref = pl.select(
        pl.when(pl.lit(pl.Series(give & ~gone))).then(pl.coalesce(pl.lit(acc), pl.lit(lc)))
    ).to_series()
    groups = [
        (~gone & (channel == 0) & (kind != 2), PHONE_IN),
        (channel == 1, CHAT),
        (channel == 2, EMAIL),
        ((kind == 2) & ~no_answer, OUTBOUND),
        (abandoned & (channel == 0), ABANDONED),
        ((kind == 2) & no_answer, DIALLED),  # the dialler logs the number it called
    ]
    # Only unanswered phone calls may lack an identifier (caller id withheld); a chat's pre-chat
    # form always asks for an e-mail or phone.
    need = ref.is_null().to_numpy() & ~(gone & (channel == 0))
    cont = contacts_by_group(pop, pid, d, rng, p, groups, need_id=need)
    agents = np.maximum(2, np.ceil(base.max(axis=1) * AHT / 3600 * p.staffing_slack * 1.5))
    agent = 1 + 100 * queue + (rng.random(n) * agents[queue]).astype(np.int64)
    order = np.argsort(started, kind="stable")
    ts_off = np.where(channel == 1, utc_offset_minutes(day, "uk"), 0)  # the chat tool writes local time
    frame = pl.DataFrame(
        {
            "channel": w.pick_str(("phone", "chat", "email"), channel),
            "direction": w.pick_str(("inbound", "outbound"), kind == 2),
            "queue": w.pick_str(QUEUES, queue),
            "agent_id": w.ids("AG-", agent, 3).set(pl.Series(abandoned), None),
            "started_at": w.ts(started, ts_off),
            "answered_at": w.ts(np.where(gone, w.NA, answered), ts_off),
            "ended_at": w.ts(ended, ts_off),
            "hold_seconds": w.ints(np.where(gone, w.NA, hold)),
            "wrap_seconds": w.ints(np.where(abandoned, w.NA, wrap)),
            "abandoned": w.bools(abandoned),
            "reason": pl.Series(reason.tolist(), dtype=pl.Utf8).set(pl.Series(abandoned), None),
            "outcome": pl.Series(outcome.tolist(), dtype=pl.Utf8).set(pl.Series(abandoned), None),
            "resolved": w.bools(resolved, missing=gone | tele),
            "customer_ref": ref,
            "order_ref": order_ref,
            "csat": w.ints(np.where(survey, cs, w.NA)),
            "nps": w.ints(np.where(survey, nps, w.NA)),
            "_pid": pid,
            "_ord": started,
            "_chat": channel == 1,
        }
    ).hstack(cont)[order]
    frame = frame.with_columns(interaction_id=w.ids(f"I-{ctx.ymd(d)}-", np.arange(1, n + 1), 6))
    bearing = pl.any_horizontal(pl.col(c).is_not_null() for c in ("customer_ref", *cont.columns))
    frame = frame.with_columns(_tid=pl.when(bearing).then(pl.col("interaction_id")))
    return frame.filter(~pl.col("_chat")), frame.filter(pl.col("_chat"))


def _codes(s: pl.Series, options: tuple[str, ...]) -> np.ndarray:
    return s.replace_strict(list(options), list(range(len(options))), return_dtype=pl.Int64).to_numpy()


def _consequences(
    ctx: Ctx,
    d: int,
    rng: np.random.Generator,
    pid: np.ndarray,
    queue: np.ndarray,
    channel: np.ndarray,
    reason: np.ndarray,
    order_ref: pl.Series,
    unresolved: np.ndarray,
    abandoned: np.ndarray,
) -> None:
    """Unresolved and abandoned contacts call again within days; some unresolved customers churn."""
    again = (unresolved & (rng.random(len(pid)) < ctx.p.unresolved_repeat)) | (
        abandoned & (rng.random(len(pid)) < 0.5)
    )
    k = np.flatnonzero(again)
    if len(k):
        when = d + np.minimum(rng.geometric(0.4, len(k)), 7)
        switch = rng.random(len(k)) < 0.2  # phone users try chat and vice versa
        ch = np.where(switch, np.where(channel[k] == 0, 1, 0), channel[k])
        q = np.where(ch == 1, 3, np.where(queue[k] == 3, 0, queue[k]))
        df = pl.DataFrame(
            {
                "day": when,
                "pid": pid[k],
                "queue": w.pick_str(QUEUES, q),
                "channel": w.pick_str(("phone", "chat", "email"), ch),
                "direction": ["inbound"] * len(k),
                "reason": pl.Series(reason[k].tolist(), dtype=pl.Utf8),
                "order_ref": order_ref.gather(k),
                "repeat": np.ones(len(k), bool),
            }
        )
        schedule(ctx.contacts_due, df)
    p_churn = ctx.p.unresolved_churn * np.where(queue == 4, 2.0, 1.0)
    lost = unresolved & ~ctx.pop.is_prospect[pid] & (rng.random(len(pid)) < p_churn)
    lp = pid[lost]
    ctx.pop.churn_day[lp] = np.minimum(ctx.pop.churn_day[lp], d + rng.integers(1, 30, len(lp)))


def staffing(ctx: Ctx) -> np.ndarray:
    """Expected arrivals per queue and hour on an average day (demand factor 1): the staff plan."""
    pop = ctx.pop
    cust = ~pop.is_prospect
    # Organic contacts of live customers, plus ~25% from delivery problems and repeat contacts.
    per_day = pop.cc_rate[cust].sum() * (1 - ctx.p.existing_share * ctx.p.lapsed_share) * 1.25
    share = np.array([0.6 * 0.5 + 0.15 * 0.5, 0.0, 0.3 * 0.75, 0.25, 0.2 * 0.75])
    tele = (pop.rate * pop.channel_w[:, 2]).sum() * 0.7
    per_day_q = per_day * share + np.array([0, tele, 0, 0, 0])
    hours = np.stack([HOURS["cc"], HOURS["cc"], HOURS["cc"], HOURS["chat"], HOURS["cc"]])
    return per_day_q[:, None] * hours
