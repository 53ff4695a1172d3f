"""Self-service web visits (order status, shipping, account, FAQ) and the service contacts they save."""

from __future__ import annotations

import numpy as np
import polars as pl

from sources.dev.simulator import writers as w
from sources.dev.simulator.context import CONTACT_SCHEMA, Ctx, schedule
from sources.dev.simulator.rand import pick
from sources.dev.simulator.season import HOURS
from sources.dev.simulator.webclient import anonymous_ids, browser_keys, device_types, locales

TOPICS = ("order_status", "shipping", "account", "faq")
PAGES = (
    ("/order-status", "/account/orders"),
    ("/help/shipping", "/help/delivery-times", "/help/track-parcel"),
    ("/account/details", "/account/addresses", "/account/password", "/account/preferences"),
    ("/help/faq", "/help/returns-policy", "/help/payment", "/help/contact-us"),
)
# Topic weights (order_status, shipping, account, faq) by the reason of the contact a problem causes.
REASON_TOPICS = {
    "delivery": (0.6, 0.4, 0, 0),
    "order": (0.8, 0.2, 0, 0),
    "complaint": (0.5, 0, 0, 0.5),
    "billing": (0, 0, 0.5, 0.5),
    "account": (0, 0, 1, 0),
    "returns": (0, 0, 0, 1),
    "product_info": (0, 0, 0, 1),
    "technical": (0, 0, 0.5, 0.5),
}
# The contact a visitor makes when the pages did not answer the question: (queue, reason) by topic.
FOLLOW_UP = (("service", "order"), ("helpdesk", "delivery"), ("service", "account"), ("helpdesk", "returns"))
SITE = "https://shop.example.com"


def _unanswered(ctx: Ctx, d: int, rng: np.random.Generator, pid: np.ndarray, topic: np.ndarray) -> None:
    """Visitors the pages did not help get in touch within 3 days (phone, chat or e-mail)."""
    k = np.flatnonzero((pid >= 0) & (rng.random(len(pid)) < ctx.p.self_service_unanswered))
    channel = pick(rng, [0.55, 0.3, 0.15], len(k))
    queue = np.where(channel == 1, "chat", np.array([q for q, _ in FOLLOW_UP])[topic[k]])
    frame = pl.DataFrame(
        {
            "day": d + rng.integers(0, 4, len(k)),
            "pid": pid[k],
            "queue": queue,
            "channel": np.array(["phone", "chat", "email"])[channel],
            "direction": np.full(len(k), "inbound"),
            "reason": np.array([r for _, r in FOLLOW_UP])[topic[k]],
            "order_ref": pl.Series([None] * len(k), dtype=pl.Utf8),
            "repeat": np.zeros(len(k), dtype=bool),
        },
        schema=CONTACT_SCHEMA | {"day": pl.Int64},
    )
    # Today's contacts were picked up already: today's follow-ups come tomorrow.
    schedule(ctx.contacts_due, frame.with_columns(day=pl.max_horizontal("day", pl.lit(d + 1))))


def _problem_visits(ctx: Ctx, d: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list]:
    """People due to contact the service tomorrow (a delivery problem, or calling again about an
    unresolved one) look it up today; some find the answer and their contact is taken off
    tomorrow's list (deflected). Returns (pid, topic, order ref)."""
    p, pids, topics, refs, kept = ctx.p, [], [], [], []
    for frame in ctx.contacts_due.get(d + 1, []):
        reason = frame["reason"].to_numpy()
        eligible = (
            (frame["direction"] == "inbound").to_numpy()
            & (frame["queue"] != "telesales").to_numpy()
            & np.isin(reason, list(REASON_TOPICS))
        )
        visit = eligible & (rng.random(frame.height) < p.self_service_problem_share)
        deflect = visit & (rng.random(frame.height) < p.self_service_deflection)
        for r, weights in REASON_TOPICS.items():
            m = np.flatnonzero(visit & (reason == r))
            pids.append(frame["pid"].to_numpy()[m])
            topics.append(pick(rng, weights, len(m)))
            refs.extend(frame["order_ref"].gather(m).to_list())
        rest = frame.filter(pl.Series(~deflect))
        if rest.height:  # the call centre reads direction[0] of every frame: no empty ones
            kept.append(rest)
    if d + 1 in ctx.contacts_due:
        ctx.contacts_due[d + 1] = kept
    none = np.zeros(0, np.int64)
    return np.concatenate([none, *pids]), np.concatenate([none, *topics]), refs


def _sessions(ctx: Ctx, d: int, rng: np.random.Generator, online_pid: np.ndarray) -> pl.DataFrame:
    """One row per self-service session today: pid (-1 stranger), topic, order_ref (or null)."""
    pop, p = ctx.pop, ctx.p
    # Online buyers check their order's status 1-4 days later.
    check = online_pid[rng.random(len(online_pid)) < p.self_service_order_check]
    later = rng.integers(1, 5, len(check))
    for k in np.unique(later):
        ctx.self_service_due[d + int(k)].append(check[later == k])
    checks = np.concatenate([np.zeros(0, np.int64), *ctx.self_service_due.pop(d, [])])
    prob_pid, prob_topic, prob_ref = _problem_visits(ctx, d, rng)
    live = (pop.acq_day <= d) & (pop.churn_day > d)
    organic = np.flatnonzero(live & (rng.random(pop.n) < p.self_service_per_year / 365))
    strangers = rng.poisson(p.stranger_session_share * len(organic))
    pid = np.concatenate([checks, prob_pid, organic, np.full(strangers, -1)]).astype(np.int64)
    topic = np.concatenate(
        [
            np.zeros(len(checks)),
            prob_topic,
            pick(rng, [0, 0.1, 0.5, 0.4], len(organic)),
            pick(rng, [0.2, 0.3, 0, 0.5], strangers),
        ]
    ).astype(np.int64)
    ref = [None] * len(checks) + prob_ref + [None] * (len(organic) + strangers)
    # Problem visitors already have their contact (or were deflected); the others may still call.
    problem = (np.arange(len(pid)) >= len(checks)) & (np.arange(len(pid)) < len(checks) + len(prob_pid))
    _unanswered(ctx, d, rng, np.where(problem, -1, pid), topic)
    return pl.DataFrame({"pid": pid, "topic": topic, "order_ref": pl.Series(ref, dtype=pl.Utf8)})


def self_service_day(
    ctx: Ctx, d: int, rng: np.random.Generator, online_pid: np.ndarray, first_id: int
) -> pl.DataFrame:
    """Page views of today's self-service sessions, event ids numbered from first_id."""
    pop, p = ctx.pop, ctx.p
    s = _sessions(ctx, d, rng, online_pid)
    pid, topic, ns = s["pid"].to_numpy(), s["topic"].to_numpy(), s.height
    known = pid >= 0
    pk = np.where(known, pid, 0)
    dev = (rng.random(ns) * pop.devices[pk]).astype(np.uint64)
    keys = browser_keys(ctx, d, pid, dev, rng.integers(1, max(2, pop.n // 2), ns).astype(np.uint64))
    account = known & pop.has_acc[pk] & (pop.acq_day[pk] <= d)
    logged = account & (np.isin(topic, (0, 2)) | (rng.random(ns) < p.login_share))  # "stay signed in"
    ne = np.minimum(rng.geometric(0.5, ns), 5)
    sess = np.repeat(np.arange(ns), ne)
    start = np.cumsum(ne) - ne
    first = np.zeros(len(sess), dtype=bool)
    first[start] = True
    n_pages = np.array([len(x) for x in PAGES])
    page = (rng.random(len(sess)) * n_pages[topic[sess]]).astype(np.int64)
    flat = [u for pages in PAGES for u in pages]
    offs = np.cumsum([0, *n_pages[:-1]])
    path = w.pick_str(flat, offs[topic[sess]] + page)
    # A problem's visit lands on its order: the account's order page, else the guest tracking form.
    ref = s["order_ref"].gather(sess)
    own_order = pl.Series(np.where(logged[sess], "/account/orders/", "/order-status?order=")) + ref
    path = pl.select(pl.when(pl.lit(first) & ref.is_not_null()).then(own_order).otherwise(path)).to_series()
    url = (SITE + path).alias("url")
    gap = rng.exponential(40.0, len(sess)).astype(np.int64) + 2
    t0 = ctx.epoch(d) + pick(rng, HOURS["web"], ns) * 3600 + rng.integers(0, 3600, ns)
    t = t0[sess] + np.cumsum(gap) - np.cumsum(gap)[start][sess]
    land_ref = np.where(rng.random(ns) < 0.3, "https://www.google.com/", "")
    referrer = url.shift(1).scatter(start, pl.Series(land_ref).replace("", None))
    acc = pop.ident["account_id"].gather(pk).set(pl.Series(~logged), None)
    return pl.DataFrame(
        {
            "event_id": w.ids(f"e-{ctx.ymd(d)}-", first_id + np.arange(len(sess)), 7),
            "event_type": pl.repeat("page_view", len(sess), dtype=pl.Utf8, eager=True),
            "occurred_at": w.ts(t),
            "anonymous_id": anonymous_ids(keys).gather(sess),
            "user_id": acc.gather(sess),
            "url": url,
            "referrer": referrer,
            "device_type": device_types(pid, dev, keys).gather(sess),
            "locale": locales(ctx, pid, keys).gather(sess),
            "_pid": pid[sess],
            "_ord": t,
        }
    )
