"""Calendar effects: weekly and yearly seasonality, sale days, hour-of-day profiles and UTC offsets."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

# Mid-month yearly level (Jan..Dec), linearly interpolated between months so there are no steps.
# December is the peak (x1.6 before the Christmas boost below); February the trough.
_MONTH = np.array([0.90, 0.80, 0.90, 0.95, 0.95, 0.95, 1.00, 0.95, 0.90, 0.95, 1.15, 1.60])
# Monday..Sunday. Stores peak on Saturday; online and web on Sunday/Monday evenings; the call
# centre on Monday (weekend backlog), almost closed on Sunday.
WEEK = {
    "store": np.array([0.85, 0.85, 0.90, 1.00, 1.15, 1.50, 0.75]),
    "online": np.array([1.10, 1.00, 1.00, 0.95, 0.90, 0.90, 1.15]),
    "cc": np.array([1.40, 1.10, 1.00, 1.00, 0.95, 0.55, 0.30]),
}
WEEK["phone"] = WEEK["cc"]
WEEK["web"] = WEEK["online"]


def _hours(spec: dict[tuple[int, int], float]) -> np.ndarray:
    w = np.zeros(24)
    for (a, b), v in spec.items():
        w[a:b] = v
    return w / w.sum()


# Hour-of-day weights (local time for stores and the call centre, UTC for web/online).
HOURS = {
    "store": _hours({(9, 11): 0.6, (11, 14): 1.2, (14, 16): 0.9, (16, 19): 1.1, (19, 20): 0.5}),
    "online": _hours(
        {(0, 7): 0.15, (7, 12): 0.7, (12, 14): 1.0, (14, 18): 0.8, (18, 23): 1.5, (23, 24): 0.5}
    ),
    "cc": _hours({(8, 10): 1.4, (10, 13): 1.2, (13, 17): 1.0, (17, 20): 0.6}),
    "chat": _hours({(8, 12): 1.0, (12, 14): 1.3, (14, 18): 1.0, (18, 22): 1.2}),
    "email": _hours({(0, 7): 0.2, (7, 22): 1.0, (22, 24): 0.4}),
}
HOURS["web"] = HOURS["online"]
HOURS["phone"] = HOURS["cc"]


def black_friday(year: int) -> date:
    """Fourth Friday of November (the day after US Thanksgiving), the online peak of the year."""
    d = date(year, 11, 1)
    return d + timedelta(days=(4 - d.weekday()) % 7 + 21)


def yearly(d: date) -> float:
    """Smooth month curve: interpolate between the 15th of neighbouring months."""
    pos = d.month - 1 + (d.day - 15) / 30.5
    lo = int(np.floor(pos))
    frac = pos - lo
    return float(_MONTH[lo % 12] * (1 - frac) + _MONTH[(lo + 1) % 12] * frac)


def factor(d: date, kind: str) -> float:
    """Demand multiplier for channel `kind` (store/online/phone/web/cc) on date d, mean about 1."""
    f = yearly(d) * WEEK[kind][d.weekday()]
    bf = black_friday(d.year)
    online = kind in ("online", "web")
    if d == bf:
        f *= 2.4 if online else 1.7
    elif d == bf + timedelta(days=3):  # Cyber Monday
        f *= 2.0 if online else 1.1
    elif d.month == 12:
        if 16 <= d.day <= 23:
            f *= 1.45  # last shopping week before Christmas
        elif d.day == 24:
            f *= 0.9 if kind == "store" else 0.5
        elif d.day == 25:
            f *= 0.0 if kind in ("store", "cc", "phone") else 0.35  # stores and call centre closed
        elif d.day == 26:
            f *= 1.8 if kind != "cc" else 0.6  # Boxing Day sales
    elif d.month == 1 and d.day == 1:
        f *= 0.3
    elif d.month == 1 and d.day <= 10:
        f *= 1.25  # January sales
    return f


def sale_day(d: date) -> float:
    """Share of lines discounted: 12% normally, more on Black Friday, Boxing Day and January sales."""
    bf = black_friday(d.year)
    if d in (bf, bf + timedelta(days=3)):
        return 0.45
    if (d.month == 12 and d.day >= 26) or (d.month == 1 and d.day <= 10):
        return 0.35
    return 0.12


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month, 31)
    return d - timedelta(days=(d.weekday() + 1) % 7)


def utc_offset_minutes(d: date, tz: str) -> int:
    """EU summer time (last Sunday of March to last Sunday of October), decided per calendar day."""
    summer = _last_sunday(d.year, 3) <= d < _last_sunday(d.year, 10)
    base = 0 if tz == "uk" else 60
    return base + (60 if summer else 0)


def peak(d: date) -> bool:
    """Peak trading: warehouses and carriers are slower (more late and short deliveries)."""
    bf = black_friday(d.year)
    return bf <= d <= date(d.year, 12, 24)
