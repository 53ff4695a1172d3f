"""Synthetic contact records with known persons, for identity-resolution tests and benchmarks."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tests.identity_vocab import (
    CITIES,
    COLUMNS,
    DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    NICKNAMED,
    SOURCE_WEIGHTS,
    SOURCES,
    STREETS,
)

# Probability that each feed carries each attribute.
CAPTURED = ("email", "name", "account", "phone", "addr", "dob", "loyalty")
CAPTURE = {
    "web": (0.95, 0.85, 0.8, 0.4, 0.3, 0.1, 0.0),
    "pos": (0.6, 0.8, 0.0, 0.4, 0.6, 0.0, 0.95),
    "callcenter": (0.5, 1.0, 0.7, 0.95, 0.7, 0.5, 0.1),
    "response_list": (0.8, 1.0, 0.0, 0.5, 0.9, 0.3, 0.0),
    "compiled_list": (0.4, 1.0, 0.0, 0.7, 1.0, 0.8, 0.0),
}


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    postcode: str
    region: str


@dataclass
class Person:
    person_id: str
    first: str
    last: str
    dob: date | None
    emails: list[str]
    mobile: str
    home_phone: str | None
    address: Address
    old_address: Address | None = None
    moved_at: datetime | None = None
    account_id: str | None = None
    loyalty_card: str | None = None
    household: int | None = None


def _address(rng: random.Random) -> Address:
    city, area, region = rng.choice(CITIES)
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    pc = f"{area}{rng.randint(1, 29)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    return Address(f"{rng.randint(1, 220)} {rng.choice(STREETS)}", city, pc, region)


def _typo(rng: random.Random, s: str) -> str:
    """One keyboard-style error: drop, double, swap or replace a letter (not the first)."""
    if len(s) < 4:
        return s
    i = rng.randint(1, len(s) - 2)
    kind = rng.randrange(4)
    if kind == 0:
        return s[:i] + s[i + 1 :]
    if kind == 1:
        return s[:i] + s[i] + s[i:]
    if kind == 2:
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    return s[:i] + rng.choice("aeiourstn") + s[i + 1 :]


def _dob_typo(rng: random.Random, d: date) -> date:
    """Keying error on the day (one digit) or a day/month swap."""
    if d.day <= 12 and d.month != d.day and rng.random() < 0.5:
        return date(d.year, d.day, d.month)
    day = d.day + rng.choice([-1, 1, 10, -10])
    return date(d.year, d.month, day) if 1 <= day <= 28 else date(d.year, d.month, max(1, d.day - 1))


class _Ids:
    """Unique phone numbers and e-mail addresses (two people never share a mobile or a mailbox)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.used = rng, set()

    def phone(self, prefix: str, digits: int) -> str:
        while True:
            p = f"{prefix}{self.rng.randrange(10**digits):0{digits}d}"
            if p not in self.used:
                self.used.add(p)
                return p

    def email(self, user: str) -> str:
        while True:
            e = f"{user}{self.rng.randint(1, 999)}@{self.rng.choice(DOMAINS)}"
            if e not in self.used:
                self.used.add(e)
                return e
            user += str(self.rng.randint(0, 9))


def _surname_pool(rng: random.Random, extra: int) -> tuple[list[str], list[float]]:
    """Real surnames (Zipf) plus `extra` made-up ones that carry 65% of the mass, for realistic
    name diversity at scale (1M people share ~100k surnames, not 68)."""
    real = [1 / (i + 1) ** 0.8 for i in range(len(LAST_NAMES))]
    if extra == 0:
        return LAST_NAMES, real
    syl = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"]
    stems = ("".join(rng.choice(syl) for _ in range(rng.choice([2, 3]))).capitalize() for _ in range(extra))
    made = {stem + rng.choice(["", "son", "ley", "ton"]) for stem in stems}
    made_names = sorted(made - set(LAST_NAMES))
    made_w = [1 / (i + 1) ** 0.5 for i in range(len(made_names))]
    scale = 0.65 / 0.35 * sum(real) / sum(made_w)
    return LAST_NAMES + made_names, real + [w * scale for w in made_w]


def make_persons(n: int, rng: random.Random, extra_surnames: int = 0) -> list[Person]:
    """Persons with households (shared address/landline), namesakes and movers."""
    ids = _Ids(rng)
    persons: list[Person] = []
    surnames, last_weights = _surname_pool(rng, extra_surnames)
    cum = list(itertools.accumulate(last_weights))  # choices() with cum_weights: O(log n) per draw
    i = 0
    while len(persons) < n:
        size = rng.choices([1, 2, 3], [0.70, 0.20, 0.10])[0]
        addr, landline = _address(rng), ids.phone("+4420", 8)
        last = rng.choices(surnames, cum_weights=cum)[0]
        used_first: set[str] = set()
        for _ in range(min(size, n - len(persons))):
            first = rng.choice([f for f in FIRST_NAMES if f not in used_first])
            used_first.add(first)
            emails = [ids.email(f"{first.lower()}.{last.lower()}")]
            if rng.random() < 0.15:
                emails.append(ids.email(f"{first[0].lower()}{last.lower()}"))
            dob, mobile = date(1940, 1, 1) + timedelta(days=rng.randint(0, 22000)), ids.phone("+447", 9)
            home = landline if size > 1 or rng.random() < 0.4 else None
            p = Person(
                f"P{i:06d}", first, last, dob, emails, mobile, home, addr, household=i if size > 1 else None
            )
            p.account_id = f"ACC-{i:07d}" if rng.random() < 0.6 else None
            p.loyalty_card = f"LC-{i:08d}" if rng.random() < 0.5 else None
            if rng.random() < 0.15:
                p.old_address = _address(rng)
                p.moved_at = datetime(2023, 1, 1) + timedelta(days=rng.randint(0, 500))
            persons.append(p)
            i += 1
    for p in rng.sample(persons, n // 20):  # namesakes: same full name, different everything else
        twin = rng.choice(persons)
        p.first, p.last = twin.first, twin.last
        p.emails = [ids.email(f"{p.first.lower()}{p.last.lower()}")]
    return persons


def _name(rng: random.Random, p: Person, nick_rate: float) -> tuple[str, str]:
    first = p.first
    if first in NICKNAMED and rng.random() < nick_rate:
        first = rng.choice(NICKNAMED[first])
    last = p.last
    if rng.random() < 0.08:
        first = _typo(rng, first)
    elif rng.random() < 0.08:
        last = _typo(rng, last)
    return first, last


def make_record(rng: random.Random, p: Person, source: str, seq: int) -> dict[str, object]:
    """One feed record for person p, shaped by what that feed usually captures."""
    seen = datetime(2022, 1, 1) + timedelta(minutes=rng.randint(0, 3 * 365 * 1440))
    addr = p.old_address if p.old_address and p.moved_at and seen < p.moved_at else p.address
    email = p.emails[-1] if len(p.emails) > 1 and rng.random() < 0.15 else p.emails[0]
    first, last = _name(rng, p, 0.35 if source == "compiled_list" else 0.15)
    r: dict[str, object] = dict.fromkeys(COLUMNS)
    r.update(source_system=source, source_record_id=f"{source[:3].upper()}-{seq:07d}", observed_at=seen)
    r.update(first_name=first, last_name=last, country="GB", person_id=p.person_id)
    want = dict(zip(CAPTURED, CAPTURE[source], strict=True))
    if rng.random() >= want["name"]:
        r["first_name"] = r["last_name"] = None
    if rng.random() < want["email"]:
        local, domain = email.split("@")
        alias = f"+{rng.choice(['promo', 'shop', 'news'])}" if rng.random() < 0.2 else ""
        r["email"], r["email_canonical"] = f"{local}{alias}@{domain}", email
    if rng.random() < want["phone"]:
        home = p.home_phone is not None and (source == "compiled_list" or rng.random() < 0.4)
        r["phone"] = p.home_phone if home else p.mobile
    if rng.random() < want["addr"]:
        r.update(address_line1=addr.line1, city=addr.city, postcode=addr.postcode, region=addr.region)
    elif source == "pos" and rng.random() < 0.5:
        r["postcode"] = addr.postcode
    if p.dob and rng.random() < want["dob"]:
        r["date_of_birth"] = _dob_typo(rng, p.dob) if rng.random() < 0.03 else p.dob
    if p.account_id and rng.random() < want["account"]:
        r["account_id"] = p.account_id
    if p.loyalty_card and rng.random() < want["loyalty"]:
        r["loyalty_card"] = p.loyalty_card
    if source == "web":
        r["anonymous_id"] = f"anon-{rng.getrandbits(48):012x}"
    if not any(r[c] for c in ("email", "phone", "postcode", "account_id", "loyalty_card", "date_of_birth")):
        # A name alone identifies nobody: feeds only send records with some contact detail.
        fallback = {"web": "email", "pos": "postcode", "callcenter": "phone"}.get(source, "postcode")
        if fallback == "email":
            r["email"] = r["email_canonical"] = email
        elif fallback == "phone":
            r["phone"] = p.mobile
        else:
            r.update(address_line1=addr.line1, city=addr.city, postcode=addr.postcode, region=addr.region)
    if r["first_name"] is None and not any(r[c] for c in ("email", "account_id", "loyalty_card")):
        r["first_name"], r["last_name"] = _name(rng, p, 0.15)  # nameless records carry a personal id
    return r


def make_population(
    n_persons: int = 500, records_per_person: float = 4.0, seed: int = 7, extra_surnames: int = 0
) -> tuple[list[Person], list[dict[str, object]]]:
    """Persons and their records (each record carries its true person_id).

    persons[0] and the first person of another household lose account and date of birth (see
    bridge_persons) so that a later bridge record can merge them without tripping the guard.
    """
    rng = random.Random(seed)
    persons = make_persons(n_persons, rng, extra_surnames)
    for p in bridge_persons(persons):
        p.account_id, p.dob = None, None
        p.loyalty_card = p.loyalty_card or f"LC-B{p.person_id}"
    records: list[dict[str, object]] = []
    for p in persons:
        k = max(1, min(12, round(rng.expovariate(1 / records_per_person) + 0.5)))
        for source in rng.choices(SOURCES, SOURCE_WEIGHTS, k=k):
            records.append(make_record(rng, p, source, len(records)))
    return persons, records


def bridge_persons(persons: list[Person]) -> tuple[Person, Person]:
    """Two persons of different households, without account or date of birth (set by make_population)."""
    a = persons[0]
    b = next(p for p in persons[1:] if p.household is None or p.household != a.household)
    return a, b


def conflict_persons(persons: list[Person]) -> tuple[Person, Person]:
    """Two persons who both hold an account and a date of birth: merging them would be a conflict."""
    a, b = [p for p in persons[10:] if p.account_id and p.dob and p.household is None][:2]
    return a, b


def bridge_record(a: Person, b: Person, seq: int) -> dict[str, object]:
    """A POS record carrying a's email and b's loyalty card: deterministic rules join a and b."""
    r: dict[str, object] = dict.fromkeys(COLUMNS)
    r.update(source_system="pos", source_record_id=f"POS-Z{seq:06d}", observed_at=datetime(2025, 6, 1))
    r.update(first_name=a.first, last_name=a.last, email=a.emails[0], email_canonical=a.emails[0])
    r.update(loyalty_card=b.loyalty_card, country="GB", person_id=a.person_id)
    return r


def conflict_record(a: Person, b: Person, seq: int) -> dict[str, object]:
    """A call-center record with a's account and b's email: the guard must not merge a and b."""
    r = bridge_record(a, b, seq)
    r.update(source_system="callcenter", source_record_id=f"CAL-Z{seq:06d}", loyalty_card=None)
    r.update(account_id=a.account_id, email=b.emails[0], email_canonical=b.emails[0], date_of_birth=a.dob)
    return r
