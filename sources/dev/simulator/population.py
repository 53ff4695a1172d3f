"""The synthetic population: clean identities, households, movers and per-person behaviour rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from sources.dev.simulator import identity as ident
from sources.dev.simulator.params import Params
from sources.dev.simulator.rand import mix64, pick
from sources.dev.simulator.rand import rng as make_rng
from sources.dev.simulator.season import factor
from sources.dev.simulator.vocab_places import COUNTRIES

NEVER = np.iinfo(np.int32).max  # "no such day" (not churned, never moves)
LANGUAGES = ("en", "de", "fr", "nl")  # ISO 639-1; Irish-name speakers read English


@dataclass(frozen=True)
class Stores:
    store_id: np.ndarray
    city: np.ndarray  # global city index
    tz: np.ndarray  # "uk" or "cet"
    writes_local: np.ndarray  # till writes local time with offset; others write UTC +00:00


def build_stores() -> Stores:
    ids, city, tz, local = [], [], [], []
    for gi, (ci, c) in enumerate(ident.CITIES):
        for _ in range(c.stores):
            ids.append(f"S-{len(ids) + 1:03d}")
            city.append(gi)
            tz.append(COUNTRIES[ci].tz)
            # Continental and Irish tills write local time; one UK store in five (legacy tills) too.
            local.append(COUNTRIES[ci].code != "GB" or len(ids) % 5 == 0)
    return Stores(np.array(ids, dtype=object), np.array(city), np.array(tz, dtype=object), np.array(local))


@dataclass
class Population:
    n_customers: int
    ident: pl.DataFrame  # clean identity, one row per person (see build_population for columns)
    moved: pl.DataFrame  # new address columns, rows aligned with ident (null for non-movers)
    move_day: np.ndarray
    household: np.ndarray  # id of the household head (self when alone)
    acq_day: np.ndarray  # first purchase day (negative: before day 0); NEVER for prospects
    churn_day: np.ndarray  # BG/NBD dropout day (mutable: unresolved complaints bring it forward)
    rate: np.ndarray  # purchases per day before seasonality
    spend: np.ndarray  # spend level, mean 1 (Gamma-Gamma-like)
    channel_w: np.ndarray  # (n, 3) store / online / phone preference
    web_rate: np.ndarray
    cc_rate: np.ndarray
    devices: np.ndarray
    home_store: np.ndarray
    fav_cat: np.ndarray  # (n, 2) favourite categories
    uses_nick: np.ndarray  # writes the nickname (Bob) instead of the formal name in informal channels
    has_acc: np.ndarray
    has_lc: np.ndarray
    has_email: np.ndarray
    has_landline: np.ndarray
    dev_key: np.ndarray  # uint64 seed of the person's device cookies
    country: np.ndarray  # index into COUNTRIES
    language: np.ndarray  # index into LANGUAGES: the language the person reads (browser, letters)
    phone_split: np.ndarray  # (n, 4): mobile and landline digit-group boundaries for formatting

    @property
    def n(self) -> int:
        return len(self.acq_day)

    @property
    def is_prospect(self) -> np.ndarray:
        return np.arange(self.n) >= self.n_customers


def build_population(
    customers: int, seed: int, start: date, p: Params, stores: Stores, n_categories: int
) -> Population:
    """Everything here depends on (customers, seed, start) only, never on the number of days."""
    rng = make_rng(seed, "population")
    n_prospects = int(round(customers * p.prospect_ratio))
    n = customers + n_prospects
    country = ident.draw_country(rng, n)
    city = ident.draw_city(rng, country)
    first, last, lang = ident.draw_names(rng, country)
    addr = ident.draw_addresses(rng, country, city)

    # Households: a share of people join another person's home (same address and landline, often
    # the same surname) -- the hard negatives of identity resolution.
    perm = rng.permutation(n)
    k = int(n * p.household_share / 2)
    heads, members = perm[:k], perm[k : 2 * k]
    src = np.arange(n)
    src[members] = heads
    household = src.copy()
    same_last = rng.random(k) < 0.7
    last = last.clone().scatter(members[same_last], last.gather(heads[same_last]))
    addr = addr[src]
    country, city = country[src], city[src]
    phones = ident.draw_phones(rng, country, city)  # after the move-in: numbers of the home country
    landline = phones["landline"].gather(src)
    in_house = np.zeros(n, dtype=bool)
    in_house[heads] = in_house[members] = True
    has_landline = rng.random(n) < np.where(in_house, 0.55, 0.25)
    has_landline[members] = has_landline[heads]

    nick = ident.draw_nicknames(rng, first)
    uses_nick = nick.is_not_null().to_numpy() & (rng.random(n) < 0.35)
    is_prospect = np.arange(n) >= customers
    has_email = rng.random(n) >= np.where(is_prospect, 0.2, p.no_email_share)
    email = ident.make_emails(rng, first, last, lang)

    # Movers live alone; they take a new address (half in the same city) from move_day on.
    mover = (~in_house) & (rng.random(n) < p.mover_share)
    move_day = np.where(mover, rng.integers(0, 730, n), NEVER).astype(np.int32)
    new_city = np.where(rng.random(n) < 0.5, city, ident.draw_city(rng, country))
    moved = ident.draw_addresses(rng, country, new_city)
    moved = moved.select(pl.when(pl.lit(pl.Series(mover))).then(pl.all()).otherwise(None).name.keep())

    n_acc = int(round(customers * p.account_share))
    n_lc = int(round(customers * p.loyalty_share))
    cust = rng.permutation(customers)
    has_acc = np.zeros(n, dtype=bool)
    has_acc[cust[:n_acc]] = True
    has_lc = np.zeros(n, dtype=bool)
    has_lc[rng.permutation(customers)[:n_lc]] = True
    acc_num = np.zeros(n, dtype=np.int64)
    acc_num[has_acc] = 1_000_000 + rng.choice(8_999_999, has_acc.sum(), replace=False)
    lc_num = np.zeros(n, dtype=np.int64)
    lc_num[has_lc] = 1_000_000 + rng.choice(8_999_999, has_lc.sum(), replace=False)

    frame = pl.DataFrame(
        {
            "person_id": pl.Series(np.arange(1, n + 1)).cast(pl.Utf8).str.zfill(7).str.replace(r"^", "P-"),
            "first_name": first,
            "last_name": last,
            "nickname": nick,
            "email": email.set(pl.Series(~has_email), None),
            "dial": phones["dial"],
            "mobile": phones["mobile"],
            "landline": landline.set(pl.Series(~has_landline), None),
            "date_of_birth": ident.draw_dob(rng, n),
            "account_id": pl.Series(acc_num)
            .cast(pl.Utf8)
            .str.replace(r"^", "ACC-")
            .set(pl.Series(~has_acc), None),
            "loyalty_id": pl.Series(lc_num)
            .cast(pl.Utf8)
            .str.replace(r"^", "LC-")
            .set(pl.Series(~has_lc), None),
        }
    ).hstack(addr)

    # Behaviour. Existing customers joined before day 0; new ones join in year 1 with seasonal weight.
    existing = rng.random(n) < p.existing_share
    season = np.array([factor(start + timedelta(days=d), "store") for d in range(365)])
    acq_day = np.where(existing, -1, pick(rng, season, n)).astype(np.int32)
    acq_day[is_prospect] = NEVER
    loyal = np.where(has_lc, p.loyalty_rate_factor, 1.0)
    rate = rng.gamma(p.rate_shape, p.purchases_per_year / p.rate_shape / 365, n) * loyal
    dropout = rng.beta(p.dropout_a, p.dropout_b, n)
    # Dropping out with prob. p after each purchase at rate lambda is an exponential lifetime with
    # rate lambda * p (a geometric number of exponential gaps); lapsed_share are already gone.
    life = rng.exponential(1.0 / np.maximum(rate * dropout, 1e-9))
    churn = np.minimum(np.maximum(acq_day, 0) + life, NEVER - 1).astype(np.int32)
    churn[existing & (rng.random(n) < p.lapsed_share)] = -1
    churn[is_prospect] = -1
    rate[is_prospect] = 0.0
    spend = rng.gamma(p.spend_shape, 1.0 / p.spend_shape, n)
    mean_w = np.array([p.channel_store, p.channel_online, p.channel_phone])
    channel_w = rng.dirichlet(mean_w * 3, n)
    channel_w[~has_acc, 1] *= 0.4  # guest checkout exists but is less used
    web_rate = rng.gamma(p.web_rate_shape, p.web_sessions_per_year / p.web_rate_shape / 365, n)
    web_rate *= np.where(has_acc, 1.5, np.where(is_prospect, 0.15, 1.0))
    cc_rate = rng.gamma(1.5, p.contacts_per_year / 1.5 / 365, n) * np.where(is_prospect, 0.05, 1.0)
    devices = pick(rng, [0.45, 0.4, 0.15], n) + 1
    home_store = _home_stores(rng, city, country, stores)
    fav_cat = rng.integers(0, n_categories, (n, 2))
    dev_key = mix64(np.arange(n, dtype=np.uint64) ^ mix64(np.array([seed + 1], dtype=np.uint64))[0])
    # Drawn last, so every attribute above stays what it was before languages existed.
    name_lang = np.array([LANGUAGES.index(c if c != "ie" else "en") for c in ident.LANGS])[lang]
    language = np.where(rng.random(n) < 0.15, 0, name_lang)  # one in seven reads English anyway
    return Population(
        n_customers=customers,
        ident=frame,
        moved=moved,
        move_day=move_day,
        household=household,
        acq_day=acq_day,
        churn_day=churn,
        rate=rate.astype(np.float32),
        spend=spend.astype(np.float32),
        channel_w=channel_w.astype(np.float32),
        web_rate=web_rate.astype(np.float32),
        cc_rate=cc_rate.astype(np.float32),
        devices=devices.astype(np.int8),
        home_store=home_store,
        fav_cat=fav_cat.astype(np.int8),
        uses_nick=uses_nick,
        has_acc=has_acc,
        has_lc=has_lc,
        has_email=has_email,
        has_landline=has_landline,
        dev_key=dev_key,
        country=country,
        language=language.astype(np.int8),
        phone_split=_phone_splits(country, city),
    )


def _phone_splits(country: np.ndarray, city: np.ndarray) -> np.ndarray:
    """Where a number is cut into groups when written: 7700 900123, 20 7946 0123, 161 496 0123."""
    mob = np.array([c.mobile_split for c in COUNTRIES])[country]
    area = np.array([len(c.landline) for _, c in ident.CITIES])[city]
    rest = np.array([c.landline_len - len(c.landline) for _, c in ident.CITIES])[city]
    land = np.stack([area, area + np.where(rest == 8, 4, 3)], axis=1)
    return np.concatenate([mob, land], axis=1).astype(np.int8)


def _home_stores(
    rng: np.random.Generator, city: np.ndarray, country: np.ndarray, stores: Stores
) -> np.ndarray:
    """A store in the person's city, else one in the same country (people drive to the next town)."""
    n = len(city)
    out = rng.integers(0, len(stores.store_id), n)
    store_country = ident.CITY_COUNTRY[stores.city]
    for gi in np.unique(city):
        m = np.flatnonzero(city == gi)
        local = np.flatnonzero(stores.city == gi)
        if not len(local):
            local = np.flatnonzero(store_country == ident.CITY_COUNTRY[gi])
        if len(local):
            out[m] = local[rng.integers(0, len(local), len(m))]
    return out.astype(np.int16)
