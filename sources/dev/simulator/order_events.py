"""Order-management exports of shipped orders: status events by day, and the perfect-order columns."""

from __future__ import annotations

import numpy as np
import polars as pl

from sources.dev.simulator import writers as w
from sources.dev.simulator.rand import pick

CARRIERS = ("DHL", "DPD", "UPS", "GLS")
DAY = 86400


def perfect_order_columns(
    rows: pl.DataFrame, rng: np.random.Generator, li: np.ndarray, price: np.ndarray, is_peak: bool
) -> pl.DataFrame:
    """Right product, place, customer and cost as a fulfilment system exports them.

    ~1% of lines are substituted (2% at peak); ~1.5% of parcels go to another postcode than the
    order's; ~3% are not signed for by the ordering household; ~1.5% of lines are invoiced above
    the price quoted at order time (a price change between quote and invoice).
    """
    n, nt = rows.height, int(li.max()) + 1 if len(li) else 0
    substituted = rng.random(n) < (0.02 if is_peak else 0.01)
    postcode = rows["postcode"] if "postcode" in rows.columns else pl.Series([None] * n, dtype=pl.Utf8)
    wrong_place = (rng.random(nt) < 0.015)[li]
    other = postcode.gather(rng.permutation(n)) if n else postcode
    delivery_pc = pl.select(
        pl.when(pl.lit(pl.Series(wrong_place)) & (other != postcode)).then(other).otherwise(postcode)
    ).to_series()
    signed = (rng.random(nt) >= 0.03)[li]
    overcharged = rng.random(n) < 0.015
    quoted = np.where(overcharged, np.round(price * 0.9).astype(np.int64), price)
    return rows.with_columns(
        substituted=w.bools(substituted),
        delivery_postcode=delivery_pc,
        signed_by_customer=w.bools(signed),
        quoted_unit_price=w.money(quoted),
    )


def order_events(
    rows: pl.DataFrame,
    rng: np.random.Generator,
    day0: int,
    times: tuple[np.ndarray, np.ndarray, np.ndarray],
    qty: np.ndarray,
    shipped_q: np.ndarray,
) -> dict[int, pl.DataFrame]:
    """Status events of order lines by the day they happen (day index from the simulation start).

    times = (ordered, shipped, delivered) unix seconds per line. A short shipment leaves the
    residual on backorder at shipping time; 70% of residuals ship 1-6 days later and are delivered
    1-3 days after that, the rest are cancelled 2-7 days later. Events after the simulation end
    are never written, so orders in transit then have no delivered event.
    """
    if rows.height == 0:
        return {}
    ordered, shipped, delivered = times
    n = rows.height
    carrier = pick(rng, [0.4, 0.3, 0.2, 0.1], n)
    residual = qty - shipped_q
    short = residual > 0
    later = short & (rng.random(n) < 0.7)
    re_ship = shipped + (rng.gamma(2.0, 1.5, n) * DAY).astype(np.int64) + DAY
    re_deliver = re_ship + rng.integers(1, 4, n) * DAY
    cancel_at = shipped + rng.integers(2, 8, n) * DAY
    sent = shipped_q > 0
    parts = [
        ("placed", ordered, qty, np.ones(n, bool), 0),
        ("shipped", shipped, shipped_q, sent, 1),
        ("delivered", delivered, shipped_q, sent, 1),
        ("backordered", shipped, residual, short, 0),
        ("shipped", re_ship, residual, later, 2),
        ("delivered", re_deliver, residual, later, 2),
        ("cancelled", cancel_at, residual, short & ~later, 0),
    ]
    frames = []
    for status, at, units, keep, parcel in parts:
        k = pl.Series(keep)
        ids = rows.select("transaction_id", "line_number").filter(k)
        track = None
        if parcel:
            track = "TRK-" + ids["transaction_id"] + "-" + ids["line_number"] + f"-{parcel}"
        frames.append(
            ids.with_columns(
                status=pl.lit(status),
                status_at=w.ts(at[keep]),
                quantity=w.ints(units[keep]),
                carrier=w.pick_str(CARRIERS, carrier[keep]) if parcel else pl.lit(None, pl.Utf8),
                tracking_number=track if track is not None else pl.lit(None, pl.Utf8),
                _at=pl.Series(at[keep]),
            )
        )
    events = pl.concat(frames).sort("_at", "transaction_id", "line_number", maintain_order=True)
    day = events["_at"] // DAY - day0
    return {int(e): events.filter(day == e).drop("_at") for e in day.unique().sort()}
