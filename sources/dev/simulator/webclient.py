"""The visitor's browser as web analytics sees it: cookie id, device type and browser locale."""

from __future__ import annotations

import numpy as np
import polars as pl

from sources.dev.simulator.context import Ctx
from sources.dev.simulator.population import LANGUAGES
from sources.dev.simulator.rand import hex12, mix64
from sources.dev.simulator.vocab_places import COUNTRIES

DEVICE_TYPES = ("mobile", "desktop", "tablet")  # a person's device 0, 1, 2
# Browser languages of never-identified visitors (tourists, bots, people abroad).
STRANGER_LOCALES = ("en-GB", "en-US", "en-IE", "de-DE", "fr-FR", "nl-NL", "es-ES", "it-IT", "pl-PL")


def browser_keys(ctx: Ctx, d: int, pid: np.ndarray, dev: np.ndarray, stranger: np.ndarray) -> np.ndarray:
    """uint64 cookie key per session: one cookie per person-device, renewed every cookie_days
    (cleared cookies); strangers (pid -1) come from a pool of their own (`stranger`)."""
    pop, p = ctx.pop, ctx.p
    known = pid >= 0
    pk = np.where(known, pid, 0)
    epoch = ((d + (pop.dev_key[pk] % np.uint64(p.cookie_days)).astype(np.int64)) // p.cookie_days).astype(
        np.uint64
    )
    with np.errstate(over="ignore"):  # uint64 hashing wraps around on purpose
        key = pop.dev_key[pk] + dev * np.uint64(0x100000001B3) + epoch * np.uint64(0x9E3779B97F4A7C15)
        stranger_key = mix64(stranger + np.uint64(ctx.seed) * np.uint64(7919))
    return np.where(known, key, stranger_key)


def anonymous_ids(keys: np.ndarray) -> pl.Series:
    return pl.Series("a", hex12(mix64(keys))).str.replace(r"^", "a-")


def device_types(pid: np.ndarray, dev: np.ndarray, keys: np.ndarray) -> pl.Series:
    """A person's n-th device is always the same kind; a stranger's follows from the cookie."""
    kind = np.where(pid >= 0, dev.astype(np.int64), (keys % np.uint64(3)).astype(np.int64))
    return pl.Series(np.array(DEVICE_TYPES)[np.minimum(kind, len(DEVICE_TYPES) - 1)])


def locales(ctx: Ctx, pid: np.ndarray, keys: np.ndarray) -> pl.Series:
    """Browser language tag (BCP 47): the person's language and country of residence, e.g. de-DE
    or en-NL; a stranger's from a fixed list, by cookie."""
    pop = ctx.pop
    pk = np.where(pid >= 0, pid, 0)
    codes = np.array([c.code for c in COUNTRIES])
    own = np.char.add(np.char.add(np.array(LANGUAGES)[pop.language[pk]], "-"), codes[pop.country[pk]])
    other = np.array(STRANGER_LOCALES)[(keys >> np.uint64(7)) % np.uint64(len(STRANGER_LOCALES))]
    return pl.Series(np.where(pid >= 0, own, other))
