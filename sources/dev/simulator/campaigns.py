"""Campaigns: a dozen a year, audiences with a designed control cell, real treatment lift, responses, cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import polars as pl

from sources.dev.simulator import writers as w
from sources.dev.simulator.context import CONTACT_SCHEMA, Ctx, schedule
from sources.dev.simulator.rand import rng as make_rng
from sources.dev.simulator.season import black_friday, utc_offset_minutes

# month: (name, channel). E-mail 6x, SMS 2x, mail 2x, phone (telesales) 2x a year.
PLAN = {
    1: ("New Year Sale", "email"),
    2: ("Valentine's Picks", "sms"),
    3: ("Spring Collection", "mail"),
    4: ("Easter Weekend", "email"),
    5: ("Garden Season", "phone"),
    6: ("Summer Sale", "email"),
    7: ("Summer Clearance", "sms"),
    8: ("Back to School", "email"),
    9: ("Autumn Collection", "mail"),
    10: ("Autumn Upgrade", "phone"),
    11: ("Black Friday", "email"),
    12: ("Christmas Gifts", "email"),
}
REACH = {"email": 0.45, "sms": 0.20, "mail": 0.15, "phone": 0.04}  # share of eligible accounts targeted
RESPONSE = {"email": 0.05, "sms": 0.04, "mail": 0.03, "phone": 0.12}  # treatment response rate
CONTROL_RESPONSE = 0.008  # control cell answers only organically (it got no message)
CLICK = {"email": 0.10, "sms": 0.06}  # treatment members who click through to the web site
# How people answer each campaign channel (response_channel weights).
ANSWER = {
    "email": {"email": 0.6, "web": 0.4},
    "sms": {"sms": 0.5, "web": 0.5},
    "mail": {"mail": 0.5, "web": 0.3, "phone": 0.2},
    "phone": {"phone": 1.0},
}
UTM = {
    "email": ("newsletter", "email"),
    "sms": ("sms", "sms"),
    "mail": ("print", "offline"),
    "phone": ("telesales", "phone"),
}
# What the marketing system books per campaign: a fixed cost (creative, list work) plus a cost per
# treatment contact; exported as campaign_cost on every audience row.
FIXED_COST = {"email": 250.0, "sms": 150.0, "mail": 1200.0, "phone": 400.0}
COST_PER_CONTACT = {"email": 0.01, "sms": 0.06, "mail": 0.85, "phone": 4.50}
RESPONSE_WINDOW = 14  # the response list of a campaign is delivered 14 days after launch


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    channel: str
    launch: date


def control_size(audience: int, share: float, minimum: int) -> int:
    """Hold-out accounts by design: share of the audience, at least `minimum`, at most half of it."""
    return min(audience // 2, max(round(share * audience), minimum))


def control_cell(u: np.ndarray, share: float, minimum: int) -> np.ndarray:
    """The control_size accounts with the smallest uniform draws u: a random split of fixed size."""
    control = np.zeros(len(u), dtype=bool)
    control[np.argsort(u, kind="stable")[: control_size(len(u), share, minimum)]] = True
    return control


def campaign_cost(channel: str, treatment: int) -> float:
    return round(FIXED_COST[channel] + COST_PER_CONTACT[channel] * treatment, 2)


@lru_cache(maxsize=512)
def campaign_of_month(seed: int, year: int, month: int) -> Campaign:
    """Launch date depends on (seed, year, month) only, never on the length of the run."""
    name, channel = PLAN[month]
    if month == 11:
        launch = black_friday(year) - timedelta(days=4)  # the Monday of Black Friday week
    else:
        launch = date(year, month, int(make_rng(seed, "campaign", year, month).integers(2, 21)))
    return Campaign(f"CMP-{year}-{month:02d}", name, channel, launch)


def campaign_on(ctx: Ctx, d: int) -> Campaign | None:
    day = ctx.date(d)
    c = campaign_of_month(ctx.seed, day.year, day.month)
    return c if c.launch == day else None


def launch(ctx: Ctx, c: Campaign, d: int, rng: np.random.Generator) -> pl.DataFrame:
    """Pick the audience, split treatment/control, apply the lift, schedule clicks, calls, answers."""
    pop, p = ctx.pop, ctx.p
    # Marketing targets accounts that bought within a year, as far as it knows (it cannot see churn).
    eligible = np.flatnonzero(pop.has_acc & (pop.acq_day <= d) & (pop.churn_day > d - 365))
    aud = eligible[rng.random(len(eligible)) < REACH[c.channel]]
    control = control_cell(rng.random(len(aud)), p.control_share, p.control_min)
    treat = aud[~control]
    ctx.add_boost(treat, p.treatment_uplift, d, d + 21)
    launched = ctx.epoch(d) + 7 * 3600 - utc_offset_minutes(c.launch, "uk") * 60
    # Responders: the treatment cell answers at the channel's rate, control only organically.
    resp = np.concatenate(
        [
            treat[rng.random(len(treat)) < RESPONSE[c.channel]],
            aud[control][rng.random(control.sum()) < CONTROL_RESPONSE],
        ]
    )
    ctx.add_boost(resp, p.responder_uplift, d, d + 21)
    if c.channel == "mail":  # the mail drop also goes to prospects bought from list vendors
        prospects = np.flatnonzero(pop.is_prospect)
        resp = np.concatenate([resp, prospects[rng.random(len(prospects)) < 0.2 * 0.015]])
    opts = ANSWER[c.channel]
    how = np.array(list(opts), dtype=object)[
        np.searchsorted(np.cumsum(list(opts.values())), rng.random(len(resp)))
    ]
    rday = d + np.minimum(rng.geometric(0.35, len(resp)) - 1, RESPONSE_WINDOW - 1)
    rutc = ctx.epoch(0) + rday * 86400 + rng.integers(7 * 3600, 22 * 3600, len(resp))
    ctx.responses[d + RESPONSE_WINDOW].append(
        (
            c.campaign_id,
            pl.DataFrame(
                {
                    "pid": resp,
                    "utc": rutc,
                    "how": pl.Series(how.tolist(), dtype=pl.Utf8),
                    "mail_channel": c.channel,
                }
            ).sort("utc", maintain_order=True),
        )
    )
    src, med = UTM[c.channel]
    click = treat[rng.random(len(treat)) < CLICK.get(c.channel, 0.0)]
    web_resp = resp[how == "web"]
    visits = np.concatenate([click, web_resp])
    vday = np.concatenate([d + np.minimum(rng.geometric(0.6, len(click)) - 1, 3), rday[how == "web"]])
    schedule(
        ctx.web_due,
        pl.DataFrame(
            {
                "day": vday,
                "pid": visits,
                "utm_source": [src] * len(visits),
                "utm_medium": [med] * len(visits),
                "utm_campaign": [c.campaign_id] * len(visits),
            },
            schema_overrides={"pid": pl.Int64},
        ),
    )
    if c.channel == "phone":  # telesales work through the treatment cell over a week
        schedule(
            ctx.contacts_due,
            pl.DataFrame(
                {
                    "day": d + rng.integers(0, 7, len(treat)),
                    "pid": treat,
                    "queue": "telesales",
                    "channel": "phone",
                    "direction": "outbound",
                    "reason": "offer",
                    "order_ref": None,
                    "repeat": False,
                },
                schema_overrides=CONTACT_SCHEMA,
            ),
        )
    order = np.argsort(aud, kind="stable")
    return pl.DataFrame(
        {
            "campaign_id": c.campaign_id,
            "campaign_name": c.name,
            "campaign_channel": c.channel,
            "launched_at": w.ts(np.full(len(aud), launched)),
            "customer_ref": pop.ident["account_id"].gather(aud[order]),
            "cell": w.pick_str(("treatment", "control"), control[order]),
            "campaign_cost": campaign_cost(c.channel, len(treat)),
        }
    ).sort("customer_ref")
