"""Contact columns as people, agents and vendors really type them: bounded, realistic dirt."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np
import polars as pl

from sources.contracts import CONTACT_COLUMN_NAMES
from sources.dev.simulator.params import Params
from sources.dev.simulator.population import Population
from sources.dev.simulator.vocab_places import COUNTRIES, COUNTRY_NAMES, STREET_ABBREV

ADDRESS = ("address_line1", "address_line2", "city", "postcode", "region", "country")
_CODES = [c.code for c in COUNTRIES]
_NAME1 = [COUNTRY_NAMES[c][0] for c in _CODES]
_NAME2 = [COUNTRY_NAMES[c][-1] for c in _CODES]
_TAGS = pl.Series(["shop", "news", "store", "deals"])


@dataclass(frozen=True)
class Profile:
    """Which contact fields a source usually fills, and how it writes them."""

    name: float  # P(first and last name present)
    email: float
    phone: float
    address: float
    dob: float
    nick: float = 0.3  # P(nickname | the person habitually uses one)
    typo: float = 1.0  # multiplier on Params.typo_rate (agents typing from a call: 2x)
    landline: float = 0.2  # P(household landline instead of own mobile | has one)
    intl: float = 0.4  # share of international phone formats (+44 ..., 0044...)
    country: float = 0.8  # P(country present | address present)
    country_name: float = 0.25  # P(country written as a name, not ISO code)
    region: float = 0.5
    stale: float = 0.0  # P(old address after a move): vendors' data lags
    upper: float = 0.0  # 1.0: the vendor writes names in capitals


_FIELDS = tuple(f.name for f in fields(Profile))


def _typo(s: str, kind: int, u: float) -> str:
    """Transposition, dropped or doubled letter, never on the first letter (people rarely miss it)."""
    if len(s) < 4:
        return s
    i = 1 + int(u * (len(s) - 2))
    if kind == 0 and i + 1 < len(s):
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    if kind == 1:
        return s[:i] + s[i + 1 :]
    return s[:i] + s[i] + s[i:]


def _apply_typos(s: pl.Series, hit: np.ndarray, rng: np.random.Generator) -> pl.Series:
    hit = np.flatnonzero(hit & s.is_not_null().to_numpy())
    if not len(hit):
        return s
    kinds, us = rng.integers(0, 3, len(hit)), rng.random(len(hit))
    new = [_typo(v, int(k), float(u)) for v, k, u in zip(s.gather(hit).to_list(), kinds, us, strict=True)]
    return s.clone().scatter(hit, new)  # scatter works in place: never touch the caller's data


def contacts(
    pop: Population,
    pidx: np.ndarray,
    day: int,
    rng: np.random.Generator,
    prof: Profile,
    p: Params,
    need_id: np.ndarray | None = None,
) -> pl.DataFrame:
    """The 11 contact columns for persons `pidx` as one source writes them on `day`."""
    need = np.ones(len(pidx), bool) if need_id is None else need_id
    return contacts_by_group(pop, pidx, day, rng, p, [(np.ones(len(pidx), bool), prof)], need)


def contacts_by_group(
    pop: Population,
    pidx: np.ndarray,
    day: int,
    rng: np.random.Generator,
    p: Params,
    groups: list[tuple[np.ndarray, Profile]],
    need_id: np.ndarray,
) -> pl.DataFrame:
    """Contact columns row-aligned with pidx (nulls = not given); each mask gets its profile.

    Rows in no group stay all-null. need_id marks records with no account/loyalty reference:
    they always keep e-mail or phone, so each can be linked by at least one strong identifier.
    One vectorised pass per call: profile settings become per-row arrays.
    """
    n = len(pidx)
    covered = np.zeros(n, bool)
    prm = {f: np.zeros(n) for f in _FIELDS}
    for mask, prof in groups:
        covered |= mask
        for f in _FIELDS:
            prm[f][mask] = getattr(prof, f)
    rows = np.flatnonzero(covered)
    core = _core(pop, pidx[rows], day, rng, p, {f: v[rows] for f, v in prm.items()}, need_id[rows])
    if len(rows) == n:
        return core
    empty = pl.repeat(None, n, dtype=pl.Utf8, eager=True)
    return pl.DataFrame({c: empty.clone().scatter(rows, core[c]) for c in CONTACT_COLUMN_NAMES})


def _core(
    pop: Population,
    pidx: np.ndarray,
    day: int,
    rng: np.random.Generator,
    p: Params,
    prm: dict[str, np.ndarray],
    need_id: np.ndarray,
) -> pl.DataFrame:
    n = len(pidx)
    if n == 0:
        return pl.DataFrame({c: pl.Series([], dtype=pl.Utf8) for c in CONTACT_COLUMN_NAMES})
    r = rng.random((n, 24))
    has_email = pop.has_email[pidx]
    has_name, email_on = r[:, 0] < prm["name"], (r[:, 1] < prm["email"]) & has_email
    phone_on, addr_on, dob_on = r[:, 2] < prm["phone"], r[:, 3] < prm["address"], r[:, 4] < prm["dob"]
    weak = need_id & ~email_on & ~phone_on  # keep one strong identifier: e-mail if any, else phone
    email_on |= weak & has_email
    phone_on |= weak & ~has_email
    split = pop.phone_split[pidx]
    base = pop.ident[pidx]
    use_land = base["landline"].is_not_null().to_numpy() & (r[:, 5] < prm["landline"])
    # Phone format: international for everyone abroad (a UK-defaulting parser never misreads
    # them) and a share of UK people; national formats for the rest.
    intl = (pop.country[pidx] != 0) | (r[:, 6] < prm["intl"])
    fmt = np.where(intl, np.searchsorted([0.55, 0.85], r[:, 7]), 3 + np.searchsorted([0.6, 0.75], r[:, 7]))
    case = np.where(r[:, 8] < p.case_noise_rate * 0.7, 1, np.where(r[:, 8] < p.case_noise_rate, 2, 0))
    case = np.where(r[:, 23] < prm["upper"], 1, case)
    ecase = r[:, 9]
    mask_cols = {
        "moved": (pop.move_day[pidx] <= day) & (r[:, 10] >= prm["stale"]),
        "nick": pop.uses_nick[pidx] & (r[:, 11] < prm["nick"]),
        "swap": r[:, 12] < p.swap_names_rate,
        "case": case,
        "space": r[:, 13] < p.space_noise_rate,
        "alias": r[:, 14] < p.email_alias_rate,
        "tag": _TAGS.gather(rng.integers(0, 4, n)),
        "ecase": ecase,
        "fmt": fmt,
        "land": use_land,
        "s1": np.where(use_land, split[:, 2], split[:, 0]).astype(np.int64),
        "s2": np.where(use_land, split[:, 3], split[:, 1]).astype(np.int64),
        "abbrev": r[:, 15] < 0.2,
        "merge": r[:, 16] < 0.15,
        "drop2": r[:, 17] < 0.2,
        "pc_nospace": r[:, 18] < 0.1,
        "pc_lower": r[:, 19] < 0.05,
        "upper_addr": r[:, 20] < 0.03,
        "region_on": r[:, 21] < prm["region"],
        "country_on": r[:, 22] < prm["country"],
        "as_name": rng.random(n) < prm["country_name"],
        "name2": rng.random(n) < 0.5,
        "dm_swap": rng.random(n) < 0.004,
        "name_on": has_name,
        "last_only": rng.random(n) < 0.03,
        "email_on": email_on,
        "phone_on": phone_on,
        "addr_on": addr_on,
        "dob_on": dob_on,
    }
    typo = p.typo_rate * prm["typo"]
    first = _apply_typos(base["first_name"], rng.random(n) < typo, rng)
    nick = _apply_typos(base["nickname"], rng.random(n) < typo, rng)
    last = _apply_typos(base["last_name"], rng.random(n) < typo, rng)
    t = base.select("email", "dial", "mobile", "landline", "date_of_birth", *ADDRESS).with_columns(
        first_name=first,
        nickname=nick,
        last_name=last,
        **{f"new_{c}": pop.moved[c].gather(pidx) for c in ADDRESS},
        **mask_cols,
    )
    # Small frames: sequential evaluation skips the parallel planner (about 2x faster below ~5k rows).
    return t.select_seq(_expressions()) if n < 5000 else t.select(_expressions())


def _when(flag: str, then: pl.Expr, otherwise: pl.Expr) -> pl.Expr:
    return pl.when(pl.col(flag)).then(then).otherwise(otherwise)


@lru_cache(maxsize=1)
def _expressions() -> tuple[pl.Expr, ...]:
    """The whole transformation as one select (built once): a single polars pass per call."""
    col = pl.col
    first = _when("nick", col("nickname"), col("first_name"))
    first, last = _when("swap", col("last_name"), first), _when("swap", first, col("last_name"))

    def noisy(e: pl.Expr) -> pl.Expr:
        e = (
            pl.when(col("case") == 1)
            .then(e.str.to_uppercase())
            .when(col("case") == 2)
            .then(e.str.to_lowercase())
            .otherwise(e)
        )
        return _when("space", e + " ", e)

    parts = col("email").str.split_exact("@", 1)
    email = _when(
        "alias",
        parts.struct.field("field_0") + "+" + col("tag") + "@" + parts.struct.field("field_1"),
        col("email"),
    )
    email = (
        pl.when(col("ecase") < 0.03)
        .then(email.str.to_uppercase())
        .when(col("ecase") < 0.06)
        .then(email.str.slice(0, 1).str.to_uppercase() + email.str.slice(1))
        .when(col("ecase") < 0.07)
        .then(email + " ")
        .otherwise(email)
    )
    nsn = _when("land", col("landline"), col("mobile"))
    a, b = nsn.str.slice(0, col("s1")), nsn.str.slice(col("s1"), col("s2") - col("s1"))
    c = nsn.str.slice(col("s2"))
    groups = pl.concat_str([a, b, c], separator=" ").str.strip_chars_end(" ")
    phone = (
        pl.when(col("fmt") == 0)
        .then("+" + col("dial") + " " + groups)
        .when(col("fmt") == 1)
        .then("+" + col("dial") + nsn)
        .when(col("fmt") == 2)
        .then("00" + col("dial") + nsn)
        .when(col("fmt") == 3)
        .then("0" + groups)
        .when(col("fmt") == 4)
        .then(pl.concat_str(["(0" + a + ") " + b, c], separator="-").str.strip_chars_end("-"))
        .otherwise("0" + nsn)
    )
    addr = {k: _when("moved", col(f"new_{k}"), col(k)) for k in ADDRESS}
    line1 = _when("abbrev", addr["address_line1"].str.replace_many(STREET_ABBREV), addr["address_line1"])
    # "Flat 3, 12 High Street" in line 1: the comma forces CSV quoting, as the contract warns.
    merged = col("merge") & addr["address_line2"].is_not_null()
    line1 = pl.when(merged).then(addr["address_line2"] + ", " + line1).otherwise(line1)
    line1 = _when("upper_addr", line1.str.to_uppercase(), line1)
    pc = _when("pc_nospace", addr["postcode"].str.replace_all(" ", "", literal=True), addr["postcode"])
    pc = _when("pc_lower", pc.str.to_lowercase(), pc)
    cc = addr["country"]
    country = _when(
        "as_name", _when("name2", cc.replace_strict(_CODES, _NAME2), cc.replace_strict(_CODES, _NAME1)), cc
    )
    dob = col("date_of_birth")
    swapped = dob.str.slice(0, 5) + dob.str.slice(8, 2) + "-" + dob.str.slice(5, 2)
    dob = pl.when(col("dm_swap") & (dob.str.slice(8, 2).cast(pl.Int32) <= 12)).then(swapped).otherwise(dob)

    def on(flag: str, e: pl.Expr, name: str) -> pl.Expr:
        return pl.when(col(flag)).then(e).otherwise(None).alias(name)

    addr_on = "addr_on"
    return (
        pl.when(col("name_on") & ~col("last_only")).then(noisy(first)).otherwise(None).alias("first_name"),
        on("name_on", noisy(last), "last_name"),
        on("email_on", email, "email"),
        on("phone_on", phone, "phone"),
        on(addr_on, line1, "address_line1"),
        pl.when(col(addr_on) & ~col("merge") & ~col("drop2"))
        .then(addr["address_line2"])
        .otherwise(None)
        .alias("address_line2"),
        on(addr_on, _when("upper_addr", addr["city"].str.to_uppercase(), addr["city"]), "city"),
        on(addr_on, pc, "postcode"),
        pl.when(col(addr_on) & col("region_on")).then(addr["region"]).otherwise(None).alias("region"),
        pl.when(col(addr_on) & col("country_on")).then(country).otherwise(None).alias("country"),
        on("dob_on", dob, "date_of_birth"),
    )
