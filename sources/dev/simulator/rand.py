"""Random-number plumbing: one generator per (seed, stream, day) and vectorised hashing helpers."""

from __future__ import annotations

import hashlib

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _key(part: int | str) -> int:
    # Python's hash() of str is salted per process; blake2b keeps stream keys stable across runs.
    if isinstance(part, int):
        return part
    return int.from_bytes(hashlib.blake2b(part.encode(), digest_size=4).digest(), "little")


def rng(seed: int, *parts: int | str) -> np.random.Generator:
    """Independent generator for (seed, parts...): e.g. rng(seed, "pos", day).

    Each day and each stream has its own SeedSequence, so day d never depends on how many
    days are simulated and a change in one feed does not shift the random numbers of another.
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *map(_key, parts)])))


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a well-spread 64-bit hash of integer keys (wraps modulo 2**64)."""
    z = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= _M1
        z ^= z >> np.uint64(27)
        z *= _M2
        z ^= z >> np.uint64(31)
    return z


def hex12(x: np.ndarray) -> np.ndarray:
    """Last 12 hex digits of each uint64, as a numpy str array (48 bits: no collisions in practice)."""
    raw = np.frombuffer(x.astype(">u8").tobytes().hex().encode(), dtype="S1").reshape(-1, 16)
    return np.ascontiguousarray(raw[:, 4:]).view("S12").ravel().astype("U12")


def pick(rng_: np.random.Generator, weights: np.ndarray | list[float], size: int) -> np.ndarray:
    """Indices drawn with the given (unnormalised) weights; faster than Generator.choice for big sizes."""
    cw = np.cumsum(np.asarray(weights, dtype=np.float64))
    return np.searchsorted(cw, rng_.random(size) * cw[-1], side="right").clip(0, len(cw) - 1)


def zipf_weights(n: int, s: float = 0.9) -> np.ndarray:
    """Weights 1/rank**s: the first names of a vocabulary list are much more common than the last."""
    return 1.0 / np.arange(1, n + 1) ** s


def bernoulli(rng_: np.random.Generator, p: np.ndarray | float, size: int | None = None) -> np.ndarray:
    n = size if size is not None else len(p)  # type: ignore[arg-type]
    return rng_.random(n) < p
