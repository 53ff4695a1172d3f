"""List feeds: campaign response lists with consent, and vendor compiled lists (customers + prospects)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from sources.dev.simulator import writers as w
from sources.dev.simulator.context import Ctx
from sources.dev.simulator.dirt import Profile, contacts_by_group

RESPONSE_CHANNELS = ("email", "sms", "phone", "mail", "web")
# Contact details a response carries depend on how the person answered.
ANSWER_PROFILE = {
    "email": Profile(name=0.7, email=1.0, phone=0.05, address=0.05, dob=0.0),
    "sms": Profile(name=0.3, email=0.05, phone=1.0, address=0.0, dob=0.0, intl=0.5),
    "phone": Profile(name=0.95, email=0.2, phone=1.0, address=0.3, dob=0.1, typo=2.0),
    "mail": Profile(name=1.0, email=0.15, phone=0.15, address=1.0, dob=0.1, typo=1.5),
    "web": Profile(name=0.9, email=1.0, phone=0.2, address=0.2, dob=0.1, nick=0.5),
}
CONSENT_OF = {"email": "email", "sms": "sms", "phone": "phone", "mail": "mail", "web": "email"}


@dataclass(frozen=True)
class Vendor:
    vendor: str
    code: str  # record id prefix
    first_day: int
    every: int  # days between deliveries
    share: float  # share of the population in one list
    profile: Profile


VENDORS = (
    Vendor(
        "acme-data",
        "V1",
        10,
        91,
        0.05,
        Profile(
            name=1.0,
            email=0.5,
            phone=0.6,
            address=1.0,
            dob=0.5,
            nick=0.0,
            upper=1.0,
            stale=0.5,
            intl=0.8,
            country=0.95,
            country_name=0.0,
        ),
    ),
    Vendor(
        "listco",
        "V2",
        25,
        61,
        0.04,
        Profile(
            name=1.0,
            email=0.6,
            phone=0.5,
            address=1.0,
            dob=0.3,
            nick=0.1,
            stale=0.4,
            intl=0.3,
            country=0.9,
            country_name=0.9,
        ),
    ),
    Vendor(
        "datamart-uk",
        "V3",
        45,
        182,
        0.08,
        Profile(
            name=1.0, email=0.4, phone=0.7, address=0.95, dob=0.6, nick=0.2, stale=0.6, region=0.1, typo=1.5
        ),
    ),
)


def response_list(
    ctx: Ctx, d: int, rng: np.random.Generator, campaign_id: str, df: pl.DataFrame
) -> pl.DataFrame:
    n = df.height
    pid = df["pid"].to_numpy()
    how = df["how"].to_numpy().astype(str)
    groups = [(how == h, prof) for h, prof in ANSWER_PROFILE.items()]
    # A mailed reply coupon may carry only name and address; every other answer has e-mail or phone.
    cont = contacts_by_group(ctx.pop, pid, d, rng, ctx.p, groups, need_id=how != "mail")
    cols = {}
    for ch in ("email", "sms", "phone", "mail"):
        own = np.array([CONSENT_OF[h] == ch for h in how], dtype=bool)
        u = rng.random(n)
        # Consent for the channel answered on: mostly yes. Other channels: often not asked (null).
        yes = np.where(own, u < 0.8, u < 0.25)
        asked = np.where(own, u < 0.9, u < 0.6)
        cols[f"consent_{ch}"] = w.bools(yes, missing=~asked)
    rid = w.ids(f"R-{campaign_id}-", np.arange(1, n + 1), 6)
    return pl.DataFrame(
        {
            "response_id": rid,
            "campaign_id": [campaign_id] * n,
            "responded_at": w.ts(df["utc"].to_numpy()),
            "response_channel": df["how"],
            **cols,
            "_pid": pid,
            "_tid": rid,
        }
    ).hstack(cont)


def vendor_lists_on(d: int) -> list[tuple[Vendor, int]]:
    """(vendor, list number) delivered on day d; fixed calendars, independent of the run length."""
    return [
        (v, (d - v.first_day) // v.every + 1)
        for v in VENDORS
        if d >= v.first_day and (d - v.first_day) % v.every == 0
    ]


def compiled_list(ctx: Ctx, d: int, rng: np.random.Generator, v: Vendor, number: int) -> pl.DataFrame:
    """About 60% prospects and 40% existing customers; vendor style and stale addresses."""
    pop = ctx.pop
    size = int(round(pop.n * v.share))
    pros, cust = np.flatnonzero(pop.is_prospect), np.flatnonzero(~pop.is_prospect)
    n_p = min(len(pros), int(size * 0.6))
    pick_ = np.concatenate(
        [
            rng.choice(pros, n_p, replace=False) if n_p else pros[:0],
            rng.choice(cust, min(len(cust), size - n_p), replace=False),
        ]
    )
    pick_ = pick_[rng.permutation(len(pick_))]
    n = len(pick_)
    # 15% of records have neither e-mail nor phone: matched on name, address and birth date only.
    cont = contacts_by_group(
        pop, pick_, d, rng, ctx.p, [(np.ones(n, bool), v.profile)], need_id=rng.random(n) < 0.85
    )
    list_id = f"L{number:02d}"
    rid = w.ids(f"{v.code}-{list_id}-", np.arange(1, n + 1), 6)
    return pl.DataFrame(
        {"record_id": rid, "vendor": [v.vendor] * n, "list_id": [list_id] * n, "_pid": pick_, "_tid": rid}
    ).hstack(cont)
