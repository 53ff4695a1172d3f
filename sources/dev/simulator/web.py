"""Web clickstream: sessions per person-device cookie, logins, forms, utm tags, and self-service pages."""

from __future__ import annotations

import numpy as np
import polars as pl

from sources.dev.simulator import writers as w
from sources.dev.simulator.context import Ctx
from sources.dev.simulator.dirt import Profile, contacts_by_group
from sources.dev.simulator.rand import pick
from sources.dev.simulator.rand import rng as make_rng
from sources.dev.simulator.season import HOURS, factor
from sources.dev.simulator.selfservice import self_service_day
from sources.dev.simulator.webclient import anonymous_ids, browser_keys, device_types, locales
from sources.feeds.web import EVENT_TYPES

# Event codes are positions in the web contract's event types, looked up by name.
EVENTS = EVENT_TYPES
PV, PRODUCT, SEARCH, CART, CHECKOUT, LOGIN, SIGNUP, FORM, LOGOUT = (
    EVENTS.index(name)
    for name in (
        "page_view",
        "product_view",
        "search",
        "add_to_cart",
        "checkout",
        "login",
        "signup",
        "form_submit",
        "logout",
    )
)
BROWSING = np.array([PV, PRODUCT, SEARCH, CART])  # event types of browsing, drawn with BROWSING_P
BROWSING_P = [0.45, 0.35, 0.12, 0.08]
SITE = "https://shop.example.com"
PAGES = ("/", "/", "/sale", "/new", "/help", "/stores", "/account", "/delivery", "/returns")
PATH = {CHECKOUT: "/checkout", LOGIN: "/account/login", SIGNUP: "/account/signup", LOGOUT: "/account/logout"}
REFERRERS = (
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://www.facebook.com/",
    "https://www.instagram.com/",
    "https://duckduckgo.com/",
)
# Paid traffic tags (not campaigns of the CRM; those come from ctx.web_due with CMP ids).
PAID = (
    ("google", "cpc", "brand-search"),
    ("google", "cpc", "generic-search"),
    ("facebook", "social", "social-retargeting"),
    ("instagram", "social", "social-prospecting"),
)
LOGIN_P = Profile(name=0.0, email=1.0, phone=0.0, address=0.0, dob=0.0)  # the login name is the e-mail
SIGNUP_P = Profile(name=0.95, email=1.0, phone=0.35, address=0.1, dob=0.4, nick=0.5)
FORM_P = Profile(name=0.6, email=1.0, phone=0.15, address=0.05, dob=0.0, nick=0.5)


def web_day(
    ctx: Ctx, d: int, rng: np.random.Generator, online: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> pl.DataFrame:
    """Events of day d: organic visits, purchase sessions (ending in the online order's checkout),
    sign-ups of new account holders, campaign click-throughs and never-identified strangers."""
    pop, p = ctx.pop, ctx.p
    f = factor(ctx.date(d), "web")
    churned = pop.churn_day <= d
    rate = pop.web_rate * f * np.where(churned & ~pop.is_prospect, 0.3, 1.0)
    organic = np.flatnonzero(rng.random(pop.n) < -np.expm1(-rate))
    camp = pl.concat(ctx.web_due.pop(d)) if d in ctx.web_due else None
    signup = np.flatnonzero((pop.acq_day == d) & pop.has_acc)
    o_pid, o_utc, o_sku = online
    n_str = rng.poisson(p.stranger_session_share * len(organic))
    # session table: pid (-1 stranger), kind 0 browse / 1 purchase / 2 signup / 3 campaign click
    pid = np.concatenate(
        [organic, o_pid, signup, camp["pid"].to_numpy() if camp is not None else [], np.full(n_str, -1)]
    ).astype(np.int64)
    kind = np.concatenate(
        [
            np.zeros(len(organic)),
            np.ones(len(o_pid)),
            np.full(len(signup), 2),
            np.full(camp.height if camp is not None else 0, 3),
            np.zeros(n_str),
        ]
    ).astype(np.int64)
    ns = len(pid)
    known = pid >= 0
    pk = np.where(known, pid, 0)
    has_account = known & pop.has_acc[pk] & (pop.acq_day[pk] <= d)
    logged = has_account & ((rng.random(ns) < p.login_share) | (kind == 1))
    remembered = logged & (rng.random(ns) < 0.25) & (kind != 2)  # "stay signed in": no login event
    form = (
        (rng.random(ns) < np.where(pop.is_prospect[pk] & known, 0.08, 0.03)) & known & ~logged & (kind != 2)
    )
    # Anonymous id: one cookie per person-device, renewed every cookie_days (cleared cookies).
    dev = (rng.random(ns) * pop.devices[pk]).astype(np.uint64)
    # Strangers come back too: a pool of n/2 cookies that never log in.
    stranger = rng.integers(1, max(2, pop.n // 2), ns).astype(np.uint64)
    keys = browser_keys(ctx, d, np.where(known, pid, -1), dev, stranger)
    anon = anonymous_ids(keys)

    # Events per session: browsing length ~ 1 + Geometric; fixed events get their own slots:
    # login right after the landing page, then browsing, then signup / form / cart+checkout / logout.
    signing, buy = kind == 2, kind == 1
    do_login = logged & ~remembered & ~signing
    do_logout = logged & (rng.random(ns) < 0.2)
    nb = np.minimum(rng.geometric(0.25, ns), 30)
    ne = nb + do_login + signing + form + 2 * buy + do_logout
    total = int(ne.sum())
    sess = np.repeat(np.arange(ns), ne)
    start = np.cumsum(ne) - ne
    pos = np.arange(total) - start[sess]
    etype = BROWSING[pick(rng, BROWSING_P, total)]
    etype[start] = PV  # sessions land on a page
    etype[start[do_login] + 1] = LOGIN
    cursor = start + ne - 1
    for flag, code in ((do_logout, LOGOUT), (buy, CHECKOUT), (buy, CART), (form, FORM), (signing, SIGNUP)):
        etype[cursor[flag]] = code
        cursor = cursor - flag
    user_from = np.full(ns, total + 1)
    user_from[remembered] = start[remembered]
    user_from[do_login] = start[do_login] + 1
    user_from[signing] = cursor[signing] + 1
    has_user = np.arange(total) >= user_from[sess]

    gap = rng.exponential(40.0, total).astype(np.int64) + 2
    dur = np.add.reduceat(gap, start) if total else gap
    hour = pick(rng, HOURS["web"], ns)
    t0 = ctx.epoch(d) + hour * 3600 + rng.integers(0, 3600, ns)
    t0[buy] = o_utc - dur[buy]  # the checkout event happens at the order time
    t = t0[sess] + np.cumsum(gap) - np.cumsum(gap)[start][sess]

    cat = ctx.cat
    sku = cat.sku_of(
        cat.draw_lines(rng, rng.integers(0, len(cat.categories), total)), pick(rng, [0.6, 0.3, 0.1], total)
    )
    osku = np.zeros(ns, dtype=np.int64)
    osku[buy] = o_sku
    sku = np.where(buy[sess] & (etype == CART), osku[sess], sku)
    path = w.pick_str(PAGES, rng.integers(0, len(PAGES), total))
    sku_s = w.pick_str(ctx.cat.sku, sku)
    terms = pl.Series(list(ctx.cat.name)).str.to_lowercase().str.replace_all(" ", "+")
    search = "/search?q=" + w.pick_str(terms, sku)
    et = pl.Series(etype)
    url = (
        SITE
        + pl.select(
            pl.when(pl.lit(et).is_in([PRODUCT, CART]))
            .then("/p/" + pl.lit(sku_s))
            .when(pl.lit(et) == SEARCH)
            .then(pl.lit(search))
            .when(pl.lit(et) == FORM)
            .then(pl.lit("/newsletter"))
            .when(pl.lit(et) == PV)
            .then(pl.lit(path))
            .otherwise(pl.lit(et).replace_strict(list(PATH), list(PATH.values()), default="/"))
        ).to_series()
    ).alias("url")
    first = pos == 0
    is_prod = np.isin(etype, (PRODUCT, CART))
    ref_i = pick(rng, [0.4, 0.05, 0.08, 0.05, 0.02, 0.4], ns)  # last option: direct, no referrer
    referrer = url.shift(1).set(pl.Series(first), None)
    land_ref = w.pick_str([*REFERRERS, ""], ref_i).replace("", None)
    paid = (ref_i <= 3) & (rng.random(ns) < 0.3)
    paid_i = np.where(ref_i <= 1, rng.integers(0, 2, ns), 2 + (ref_i == 3))
    utm = [w.pick_str([x[j] for x in PAID], paid_i).set(pl.Series(~paid), None) for j in range(3)]
    if camp is not None:  # campaign clicks: e-mail clients send no referrer
        cs = np.flatnonzero(kind == 3)
        land_ref = land_ref.scatter(cs, None)
        for j, c in enumerate(("utm_source", "utm_medium", "utm_campaign")):
            utm[j] = utm[j].scatter(cs, camp[c])
    fi = np.flatnonzero(first)
    referrer = referrer.scatter(fi, land_ref)
    acc = pop.ident["account_id"].gather(pk).set(pl.Series(~has_account), None)
    ev = pl.DataFrame(
        {
            "event_id": w.ids(f"e-{ctx.ymd(d)}-", np.arange(1, total + 1), 7),
            "event_type": w.pick_str(EVENTS, etype),
            "occurred_at": w.ts(t),
            "anonymous_id": anon.gather(sess),
            "user_id": acc.gather(sess).set(pl.Series(~has_user), None),
            "url": url,
            "referrer": referrer,
            "product_sku": sku_s.set(pl.Series(~is_prod), None),
            "device_type": device_types(np.where(known, pid, -1), dev, keys).gather(sess),
            "locale": locales(ctx, np.where(known, pid, -1), keys).gather(sess),
            "_pid": np.where(known, pid, -1)[sess],
            "_ord": t,
        }
    )
    empty = pl.repeat(None, total, dtype=pl.Utf8, eager=True)
    # utm tags sit on the landing event of a session only.
    utm_cols = ("utm_source", "utm_medium", "utm_campaign")
    ev = ev.with_columns(**{c: empty.clone().scatter(start, utm[j]) for j, c in enumerate(utm_cols)})
    # Contact columns only on login, signup and form events.
    k = np.flatnonzero(np.isin(etype, (LOGIN, SIGNUP, FORM)))
    ek = etype[k]
    groups = [(ek == LOGIN, LOGIN_P), (ek == SIGNUP, SIGNUP_P), (ek == FORM, FORM_P)]
    cont = contacts_by_group(pop, pid[sess[k]], d, rng, p, groups, need_id=np.ones(len(k), dtype=bool))
    ev = ev.with_columns(**{c: empty.clone().scatter(k, cont[c]) for c in cont.columns})
    ss = self_service_day(ctx, d, make_rng(ctx.seed, "selfservice", d), o_pid, total + 1)
    ev = pl.concat([ev, ss], how="diagonal_relaxed")
    bearing = ev["user_id"].is_not_null().to_numpy()
    bearing[k] = True
    return ev.with_columns(_tid=ev["event_id"].set(pl.Series(~bearing), None)).sort(
        "_ord", maintain_order=True
    )
