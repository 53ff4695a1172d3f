"""Delivery defects around the writers: late rows held back 1-3 days, per-feed malformed-row specs."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import polars as pl

from sources.dev.simulator.rand import rng
from sources.dev.simulator.writers import Malform, Sink
from sources.feeds import FEEDS

# The loader's quarantine must catch exactly these (see writers.Sink._break for the kinds).
MALFORM = {
    "web": Malform("occurred_at", ("event_id", "event_type", "anonymous_id")),
    "pos": Malform("transaction_at", ("sku", "store_id", "unit_price"), num_col="quantity"),
    "callcenter": Malform("started_at", ("queue", "channel", "ended_at"), num_col="hold_seconds"),
    "response_list": Malform("responded_at", ("campaign_id", "response_channel")),
    "compiled_list": Malform(None, ("vendor", "list_id")),
    "campaign_audience": Malform("launched_at", ("customer_ref", "cell")),
    "pos_order_events": Malform("status_at", ("status", "transaction_id"), num_col="quantity"),
}
# JSON values written unquoted (numbers and booleans) in the call-centre chat export.
CHAT_RAW = frozenset({"hold_seconds", "wrap_seconds", "csat", "nps", "abandoned", "resolved"})


class Delivery:
    """Writes each feed's daily file; a share of rows (whole transactions for POS) arrives late."""

    def __init__(self, sink: Sink, seed: int, late_share: float) -> None:
        self.sink, self.seed, self.late_share = sink, seed, late_share
        self.held: dict[str, dict[int, list[pl.DataFrame]]] = defaultdict(lambda: defaultdict(list))

    def daily(
        self,
        feed: str,
        stream: str,
        rel: str,
        frame: pl.DataFrame,
        kind: str,
        d: int,
        key: str | None = None,
        raw: frozenset[str] = frozenset(),
    ) -> None:
        """Hold back rows of day d for 1-3 days, add rows held for today, write the file.

        `stream` names the buffer (two files of one feed keep separate ones); with `key`, rows
        sharing a key (lines of one transaction, contiguous in `frame`) travel together.
        """
        r = rng(self.seed, "late", stream, d)
        if key is not None and frame.height:
            unit = np.cumsum((frame[key] != frame[key].shift(1)).fill_null(True).to_numpy()) - 1
        else:
            unit = np.arange(frame.height)
        nu = int(unit[-1]) + 1 if len(unit) else 0
        delay = np.where(r.random(nu) < self.late_share, r.integers(1, 4, nu), 0)[unit]
        held = self.held[stream]
        for k in (1, 2, 3):
            if (delay == k).any():
                held[d + k].append(frame.filter(pl.Series(delay == k)))
        earlier = held.pop(d, [])
        frame = pl.concat([frame.filter(pl.Series(delay == 0)), *earlier], how="diagonal_relaxed")
        if kind == "jsonl" and frame.height == 0:
            return  # no chats that day: no file (an empty CSV still gets its header)
        self.once(feed, rel, frame, kind, raw)
        self.sink.stats[feed].late_rows += sum(f.height for f in earlier)

    def once(
        self, feed: str, rel: str, frame: pl.DataFrame, kind: str = "csv", raw: frozenset[str] = frozenset()
    ) -> None:
        """Write one file as is (lists, audiences), with malformed rows and maybe a resend."""
        self.sink.write(
            feed,
            feed,
            rel,
            frame,
            FEEDS[feed].column_names,
            kind,
            rng(self.seed, "file", rel),
            MALFORM[feed],
            raw,
        )
