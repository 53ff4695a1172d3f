"""Clean identities: names, addresses, phone numbers and e-mails drawn with numpy and polars."""

from __future__ import annotations

import numpy as np
import polars as pl

from sources.dev.simulator.rand import pick, zipf_weights
from sources.dev.simulator.vocab_names import EMAIL_DOMAINS, FEMALE, LAST, MALE, NICKNAMES, TRANSLIT
from sources.dev.simulator.vocab_places import COUNTRIES, LINE2

LANGS = ("en", "ie", "de", "fr", "nl")
COUNTRY_LANG = np.array([LANGS.index(c.lang) for c in COUNTRIES])
CITIES = [(ci, city) for ci, c in enumerate(COUNTRIES) for city in c.cities]
CITY_COUNTRY = np.array([ci for ci, _ in CITIES])
_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))  # letters UK inward codes use
_EIR = np.array(list("ACDEFHKNPRTVWXY0123456789"))


def _s(values: np.ndarray | list) -> pl.Series:
    if isinstance(values, np.ndarray) and values.dtype == object:
        values = values.tolist()  # polars cannot cast numpy object arrays directly
    return pl.Series(values, dtype=pl.Utf8)


def draw_country(rng: np.random.Generator, n: int) -> np.ndarray:
    return pick(rng, [c.weight for c in COUNTRIES], n)


def draw_city(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    """Global city index (into CITIES) for each person, weighted within the person's country."""
    out = np.empty(len(country), dtype=np.int32)
    for ci, c in enumerate(COUNTRIES):
        m = np.flatnonzero(country == ci)
        first = int(np.flatnonzero(ci == CITY_COUNTRY)[0])
        out[m] = first + pick(rng, [x.weight for x in c.cities], len(m))
    return out


def draw_names(rng: np.random.Generator, country: np.ndarray) -> tuple[pl.Series, pl.Series, np.ndarray]:
    """First and last names; 10% of people abroad carry English names and vice versa (5%)."""
    n = len(country)
    lang = COUNTRY_LANG[country]
    swap = rng.random(n) < np.where(lang == 0, 0.05, 0.10)
    lang = np.where(swap, np.where(lang == 0, rng.integers(1, len(LANGS), n), 0), lang)
    female = rng.random(n) < 0.51
    first = np.empty(n, dtype=object)
    last = np.empty(n, dtype=object)
    for li, code in enumerate(LANGS):
        for is_f, table in ((False, MALE), (True, FEMALE)):
            m = np.flatnonzero((lang == li) & (female == is_f))
            names = np.array(table[code], dtype=object)
            first[m] = names[pick(rng, zipf_weights(len(names)), len(m))]
        m = np.flatnonzero(lang == li)
        names = np.array(LAST[code], dtype=object)
        last[m] = names[pick(rng, zipf_weights(len(names), 0.8), len(m))]
    return _s(first), _s(last), lang


def draw_nicknames(rng: np.random.Generator, first: pl.Series) -> pl.Series:
    """One habitual nickname per person whose name has one (Robert -> Bob), else null."""
    keys = list(NICKNAMES)
    idx = first.replace_strict(keys, list(range(len(keys))), default=-1, return_dtype=pl.Int32).to_numpy()
    flat = [n for k in keys for n in NICKNAMES[k]]
    offs = np.cumsum([0] + [len(NICKNAMES[k]) for k in keys])
    has = idx >= 0
    counts = np.diff(offs)
    choice = np.zeros(len(idx), dtype=np.int64)
    choice[has] = offs[idx[has]] + (rng.random(has.sum()) * counts[idx[has]]).astype(np.int64)
    return pl.Series(np.array(flat, dtype=object)[choice], dtype=pl.Utf8).set(pl.Series(~has), None)


def draw_dob(rng: np.random.Generator, n: int) -> pl.Series:
    """Adults aged 18-90 on 2025-01-01, centred on 45 (a fixed reference keeps it independent of runs)."""
    age_days = (np.clip(rng.normal(45, 16, n), 18, 90) * 365.25).astype(np.int64)
    ref = 20089  # 2025-01-01 as days since 1970-01-01
    return pl.Series(ref - age_days).cast(pl.Date).dt.to_string("%Y-%m-%d")


def draw_addresses(rng: np.random.Generator, country: np.ndarray, city: np.ndarray) -> pl.DataFrame:
    """Street address, postcode in the country's format, region, ISO country code."""
    n = len(country)
    number = (1 + rng.pareto(1.2, n) * 8).astype(np.int64).clip(1, 399)
    street = np.empty(n, dtype=object)
    fmt_street_first = np.zeros(n, dtype=bool)
    for ci, c in enumerate(COUNTRIES):
        m = np.flatnonzero(country == ci)
        street[m] = np.array(c.streets, dtype=object)[rng.integers(0, len(c.streets), len(m))]
        fmt_street_first[m] = c.street_format.startswith("{street}")
    num_s = pl.Series(number).cast(pl.Utf8)
    line1 = pl.select(
        pl.when(pl.lit(pl.Series(fmt_street_first)))
        .then(pl.concat_str([pl.lit(_s(street)), pl.lit(num_s)], separator=" "))
        .otherwise(pl.concat_str([pl.lit(num_s), pl.lit(_s(street))], separator=" "))
    ).to_series()
    has2 = rng.random(n) < 0.18
    l2_tpl = np.array(LINE2, dtype=object)[rng.integers(0, len(LINE2), n)]
    l2_num = rng.integers(1, 40, n)
    line2 = [t.format(k=k) if h else None for t, k, h in zip(l2_tpl, l2_num, has2, strict=True)]
    return pl.DataFrame(
        {
            "address_line1": line1,
            "address_line2": _s(line2),
            "city": _s(np.array([c.name for _, c in CITIES], dtype=object)[city]),
            "postcode": _postcodes(rng, city),
            "region": _s(np.array([c.region for _, c in CITIES], dtype=object)[city]),
            "country": _s(np.array([c.code for c in COUNTRIES], dtype=object)[country]),
        }
    )


def _postcodes(rng: np.random.Generator, city: np.ndarray) -> pl.Series:
    n = len(city)
    out = np.empty(n, dtype=object)
    letters = _LETTERS[rng.integers(0, len(_LETTERS), (n, 2))]
    eir = _EIR[rng.integers(0, len(_EIR), (n, 4))]
    district = rng.integers(1, 21, n)
    digit = rng.integers(0, 10, n)
    u = rng.random(n)
    for gi, (_, c) in enumerate(CITIES):
        m = np.flatnonzero(city == gi)
        if not len(m):
            continue
        kind, spec = c.postcode.split(":")
        if kind in ("gb", "ie"):
            areas = np.array(spec.split("|"), dtype=object)[(u[m] * len(spec.split("|"))).astype(int)]
            if kind == "gb":
                out[m] = [
                    f"{a}{d} {g}{x}{y}"
                    for a, d, g, (x, y) in zip(areas, district[m], digit[m], letters[m], strict=True)
                ]
            else:
                out[m] = [f"{a} {''.join(e)}" for a, e in zip(areas, eir[m], strict=True)]
        else:
            lo, hi = (int(v) for v in spec.split("-"))
            num = lo + (u[m] * (hi - lo + 1)).astype(int)
            out[m] = (
                [f"{v:05d}" for v in num]
                if kind in ("de", "fr")
                else [f"{v} {x}{y}" for v, (x, y) in zip(num, letters[m], strict=True)]
            )
    return _s(out)


def draw_phones(rng: np.random.Generator, country: np.ndarray, city: np.ndarray) -> pl.DataFrame:
    """Mobile and landline national significant numbers (digits after the trunk 0), unique mobiles."""
    n = len(country)
    mobile = np.empty(n, dtype=object)
    dial = np.empty(n, dtype=object)
    for ci, c in enumerate(COUNTRIES):
        m = np.flatnonzero(country == ci)
        prefixes = np.array(c.mobile_prefixes, dtype=object)[rng.integers(0, len(c.mobile_prefixes), len(m))]
        mobile[m] = [
            p + str(v).zfill(c.mobile_len - len(p))
            for p, v in zip(prefixes, rng.integers(0, 10 ** (c.mobile_len - 2), len(m)), strict=True)
        ]
        dial[m] = c.dial
    # Birthday collisions (about n^2 / 2e9 for UK numbers) would make two people share a mobile:
    # redraw the last digits of duplicates until unique.
    mob = pl.Series(mobile, dtype=pl.Utf8)
    for _ in range(20):
        redo = np.flatnonzero(~mob.is_first_distinct().to_numpy())
        if not len(redo):
            break
        tail = rng.integers(0, 10**6, len(redo))
        mob = mob.scatter(redo, [m[:-6] + f"{t:06d}" for m, t in zip(mob.gather(redo), tail, strict=True)])
    land = np.empty(n, dtype=object)
    for gi, (_, c) in enumerate(CITIES):
        m = np.flatnonzero(city == gi)
        rest = c.landline_len - len(c.landline)
        land[m] = [
            c.landline + str(v).zfill(rest) for v in rng.integers(2 * 10 ** (rest - 1), 10**rest, len(m))
        ]
    return pl.DataFrame({"dial": _s(dial), "mobile": mob, "landline": _s(land)})


def make_emails(rng: np.random.Generator, first: pl.Series, last: pl.Series, lang: np.ndarray) -> pl.Series:
    """Unique e-mail per person built from the name (anna.schmidt@...), suffixed on collision."""
    n = len(first)
    f = first.str.to_lowercase().str.replace_many(TRANSLIT)
    ln = last.str.to_lowercase().str.replace_many(TRANSLIT)
    pattern = pick(rng, [0.35, 0.15, 0.2, 0.1, 0.05, 0.15], n)
    nn = pl.Series(rng.integers(1, 99, n)).cast(pl.Utf8)
    local = pl.select(
        pl.when(pl.lit(pl.Series(pattern == 0)))
        .then(pl.lit(f) + "." + pl.lit(ln))
        .when(pl.lit(pl.Series(pattern == 1)))
        .then(pl.lit(f).str.slice(0, 1) + pl.lit(ln))
        .when(pl.lit(pl.Series(pattern == 2)))
        .then(pl.lit(f) + pl.lit(ln) + pl.lit(nn))
        .when(pl.lit(pl.Series(pattern == 3)))
        .then(pl.lit(f) + "_" + pl.lit(ln))
        .when(pl.lit(pl.Series(pattern == 4)))
        .then(pl.lit(ln) + "." + pl.lit(f))
        .otherwise(pl.lit(f) + pl.lit(nn))
    ).to_series()
    domain = np.empty(n, dtype=object)
    for li, code in enumerate(LANGS):
        m = np.flatnonzero(lang == li)
        doms = np.array(EMAIL_DOMAINS[code], dtype=object)
        domain[m] = doms[pick(rng, zipf_weights(len(doms), 0.7), len(m))]
    email = local + "@" + _s(domain)
    # Same name, same pattern, same domain: the second person gets a number, as mail providers
    # force. Loop because a suffixed address can collide with a pattern that already had digits.
    for _ in range(20):
        redo = np.flatnonzero(~email.is_first_distinct().to_numpy())
        if not len(redo):
            break
        loc, dom = (
            email.gather(redo).str.split("@").list.first(),
            email.gather(redo).str.split("@").list.last(),
        )
        email = email.scatter(
            redo, loc + pl.Series(rng.integers(2, 999, len(redo))).cast(pl.Utf8) + "@" + dom
        )
    return email.alias("email")
