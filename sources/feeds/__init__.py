"""Registry of every landing feed, one module per feed."""

from __future__ import annotations

from sources.contracts import FeedContract
from sources.feeds.callcenter import CONTRACT as CALLCENTER
from sources.feeds.campaign_audience import CONTRACT as CAMPAIGN_AUDIENCE
from sources.feeds.compiled_list import CONTRACT as COMPILED_LIST
from sources.feeds.pos import CONTRACT as POS
from sources.feeds.pos_order_events import CONTRACT as POS_ORDER_EVENTS
from sources.feeds.response_list import CONTRACT as RESPONSE_LIST
from sources.feeds.web import CONTRACT as WEB

FEEDS: dict[str, FeedContract] = {
    c.name: c
    for c in (WEB, POS, CALLCENTER, RESPONSE_LIST, COMPILED_LIST, CAMPAIGN_AUDIENCE, POS_ORDER_EVENTS)
}


def feed(name: str) -> FeedContract:
    """Return the contract of one feed, with the list of known feeds when the name is wrong."""
    try:
        return FEEDS[name]
    except KeyError:
        raise KeyError(f"unknown feed {name!r}; known feeds: {', '.join(FEEDS)}") from None
