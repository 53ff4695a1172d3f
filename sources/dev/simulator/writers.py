"""Value formatting, CSV/JSONL serialisation, deliberate malformed rows, duplicate files and truth rows."""

from __future__ import annotations

import gzip
import io
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl

NA = np.iinfo(np.int64).min  # missing timestamp / integer in int64 arrays
_OFFSETS = {-60: "-01:00", 0: "+00:00", 60: "+01:00", 120: "+02:00"}  # keys step by 60 from -60


def ts(utc: np.ndarray, offset_min: np.ndarray | int = 0) -> pl.Series:
    """ISO 8601 with offset: the local wall time of the writer plus its UTC offset."""
    utc = np.asarray(utc, dtype=np.int64)
    off = np.broadcast_to(np.asarray(offset_min, dtype=np.int64), utc.shape)
    missing = utc == NA
    local = np.where(missing, 0, utc + off * 60)
    s = pl.from_epoch(pl.Series(local), "s").dt.strftime("%Y-%m-%dT%H:%M:%S")
    if len(off) and (off == off[0]).all():
        s = s + _OFFSETS[int(off[0])]
    else:
        s = s + pl.Series(list(_OFFSETS.values())).gather((off + 60) // 60)
    return s.set(pl.Series(missing), None) if missing.any() else s


def money(cents: np.ndarray) -> pl.Series:
    """Cents as a decimal string with two places: -1234 -> "-12.34" (no float rounding)."""
    c = pl.Series(np.asarray(cents, dtype=np.int64))
    a = c.abs()
    sign = pl.Series(np.where(np.asarray(cents) < 0, "-", ""))
    return sign + (a // 100).cast(pl.Utf8) + "." + (a % 100).cast(pl.Utf8).str.zfill(2)


def ints(x: np.ndarray) -> pl.Series:
    x = np.asarray(x, dtype=np.int64)
    return pl.Series(x).cast(pl.Utf8).set(pl.Series(x == NA), None)


def bools(x: np.ndarray, missing: np.ndarray | None = None) -> pl.Series:
    s = pl.Series(np.where(np.asarray(x, dtype=bool), "true", "false"))
    return s if missing is None else s.set(pl.Series(missing), None)


def ids(prefix: str, seq: np.ndarray, width: int) -> pl.Series:
    return prefix + pl.Series(np.asarray(seq, dtype=np.int64)).cast(pl.Utf8).str.zfill(width)


def pick_str(options: list[str] | tuple[str, ...] | np.ndarray | pl.Series, idx: np.ndarray) -> pl.Series:
    """options[idx] as a string Series (a polars gather: no Python objects per row)."""
    opts = options if isinstance(options, pl.Series) else _options(tuple(options))
    return opts.gather(np.asarray(idx, dtype=np.int64))


@lru_cache(maxsize=256)
def _options(options: tuple[str, ...]) -> pl.Series:
    return pl.Series(list(options), dtype=pl.Utf8)


@dataclass(frozen=True)
class Malform:
    """How rows of one feed are broken on purpose (the loader must quarantine exactly these)."""

    ts_col: str | None
    required: tuple[str, ...]
    num_col: str | None = None  # an INTEGER column that gets a non-numeric value


_BAD_TS = [
    "2025-02-30T12:00:00+00:00",
    "31/01/2025 14:22",
    "2025-01-15 25:61:00",
    "yesterday",
    "2025-13-01T00:00:00+00:00",
]
_BAD_NUM = ["two", "1O", "n/a", "3.5.1"]


@dataclass
class FeedStats:
    files: int = 0
    rows: int = 0
    malformed: dict[str, int] = field(default_factory=dict)
    late_rows: int = 0
    duplicate_files: int = 0
    truth_rows: int = 0


class Sink:
    """Writes landing files and the truth records; counts everything for the run summary."""

    def __init__(self, out: Path, truth_dir: Path, malformed_share: float, dup_share: float) -> None:
        self.out, self.truth_dir = out, truth_dir
        self.malformed_share, self.dup_share = malformed_share, dup_share
        self.stats: dict[str, FeedStats] = {}
        truth_dir.mkdir(parents=True, exist_ok=True)
        self._truth: BinaryIO = open(truth_dir / "records.csv", "wb")  # noqa: SIM115 - closed in close()
        self._truth.write(b"source_system,source_record_id,person_id\n")

        # Files are compressed and written on a second thread (zlib releases the GIL) while the
        # next day is generated; one job in flight at most, so memory stays at ~one day of data.
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._pending: Future | None = None
        self._credit: dict[str, float] = {}  # malformed-row quota carried from file to file
        self._turn: dict[str, int] = {}  # next malformed kind, per feed and format
        self._dup_credit: dict[str, float] = {}

    def close(self) -> None:
        self._wait()
        self._pool.shutdown()
        self._truth.close()

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.result()  # re-raises an error of the writer thread here
            self._pending = None

    def write(
        self,
        feed: str,
        source_system: str,
        rel: str,
        df: pl.DataFrame,
        columns: tuple[str, ...],
        kind: str,
        rng: np.random.Generator,
        malform: Malform | None,
        json_raw: frozenset[str] = frozenset(),
    ) -> None:
        """Write df (contract columns + hidden `_pid`, `_tid`) as rel under the landing root.

        kind: "csv", "jsonl" or "jsonl.gz". Truth rows go out for rows whose `_tid` is set.
        """
        st = self.stats.setdefault(feed, FeedStats())
        if "_tid" in df.columns:
            truth = (
                df.filter(pl.col("_tid").is_not_null())
                .select(
                    pl.lit(source_system).alias("s"),
                    pl.col("_tid"),
                    ("P-" + (pl.col("_pid") + 1).cast(pl.Utf8).str.zfill(7)).alias("p"),
                )
                .unique(maintain_order=True)
            )
            truth.write_csv(self._truth, include_header=False)
            st.truth_rows += truth.height
        data = df.select(
            [(pl.col(c) if c in df.columns else pl.lit(None)).cast(pl.Utf8).alias(c) for c in columns]
        )
        broken: dict[int, str] = {}
        if malform is not None and data.height:
            data, broken = self._break(data, kind, rng, malform, f"{feed}/{kind}")
        body = _csv(data, broken) if kind == "csv" else _jsonl(data, json_raw, broken, rng)
        path = self.out / rel
        # Resends: ~dup_share of files, by a credit that grows with every file, so even a short
        # run has some while their days stay random.
        credit = self._dup_credit.get(feed, 0.5) + self.dup_share
        dup = bool(rng.random() < credit)
        self._dup_credit[feed] = credit - dup
        st.files += 1
        st.rows += data.height
        st.duplicate_files += dup
        for k in broken.values():
            st.malformed[k] = st.malformed.get(k, 0) + 1
        self._wait()
        self._pending = self._pool.submit(_store, path, body, kind == "jsonl.gz", dup)

    def _break(
        self, data: pl.DataFrame, kind: str, rng: np.random.Generator, m: Malform, stream: str
    ) -> tuple[pl.DataFrame, dict[int, str]]:
        """Break malformed_share of the rows, by quota: a feed's files accumulate credit, so the
        share is exact over a run and each kind comes in turn (every kind shows up early)."""
        n = data.height
        kinds = ["missing_required"] + (["bad_timestamp"] if m.ts_col else [])
        kinds += ["column_count"] if kind == "csv" else ["truncated_json"]
        if m.num_col and kind == "csv":  # JSON numbers are unquoted: a word there breaks the line
            kinds.append("non_numeric")
        # Start at 0.9: the first broken row comes within ~100 rows, so small runs have some too.
        credit = self._credit.get(stream, 0.9) + n * self.malformed_share
        k = min(int(credit), n)
        self._credit[stream] = credit - k
        if not k:
            return data, {}
        rows = np.sort(rng.choice(n, k, replace=False))
        start = self._turn.get(stream, 0)
        self._turn[stream] = start + k
        chosen = np.array([kinds[(start + i) % len(kinds)] for i in range(k)], dtype=object)
        broken = {int(r): str(c) for r, c in zip(rows, chosen, strict=True)}
        cols = {}
        for k, col, values in (("bad_timestamp", m.ts_col, _BAD_TS), ("non_numeric", m.num_col, _BAD_NUM)):
            sel = rows[chosen == k]
            if len(sel) and col:
                cols[col] = data[col].clone().scatter(sel, [values[i % len(values)] for i in range(len(sel))])
        sel = rows[chosen == "missing_required"]
        for j, r in enumerate(sel):
            col = m.required[j % len(m.required)]
            cols[col] = cols.get(col, data[col].clone()).scatter([int(r)], [None])
        return (data.with_columns(**cols) if cols else data), broken


def _store(path: Path, body: bytes, gz: bool, dup: bool) -> None:
    if gz:
        # mtime=0 and no file name in the header: the same rows give byte-identical files.
        # Level 1: 3x faster than the default and only ~15% bigger on these files.
        body = gzip.compress(body, compresslevel=1, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    if dup:  # the same file delivered again under another name (a resend): byte-identical
        stem, dot, ext = path.name.partition(".")
        (path.parent / f"{stem}_resent{dot}{ext}").write_bytes(body)


def _csv(data: pl.DataFrame, broken: dict[int, str]) -> bytes:
    buf = io.BytesIO()
    data.write_csv(buf, line_terminator="\n")  # RFC 4180 quoting, empty field = null
    body = buf.getvalue()
    bad = sorted(r for r, k in broken.items() if k == "column_count")
    if not bad:
        return body
    # Fields never contain newlines, so data row r is physical line r + 1 (after the header).
    lines = body.split(b"\n")
    for j, r in enumerate(bad):
        line = lines[r + 1]
        head, sep, tail = line.rpartition(b",")
        lines[r + 1] = line + b",EXTRA" if j % 2 == 0 or b'"' in tail or not sep else head
    return b"\n".join(lines)


def _jsonl(
    data: pl.DataFrame, raw: frozenset[str], broken: dict[int, str], rng: np.random.Generator
) -> bytes:
    """JSON objects built by string concatenation; absent values are left out of the object.

    Safe without escaping because generated values never contain quotes, backslashes or control
    characters (checked in the tests).
    """

    def piece(c: str) -> pl.Expr:
        return f',"{c}":' + (pl.col(c) if c in raw else '"' + pl.col(c) + '"')

    # Columns filled on few rows (contacts on web events) are encoded only where present: half
    # the cost on 250k-event days. Key order of an object does not matter in JSON.
    filled = data.select(pl.all().is_not_null().mean()).row(0) if data.height else [1.0] * data.width
    dense = [c for c, f in zip(data.columns, filled, strict=True) if f > 0.2]
    sparse = [c for c, f in zip(data.columns, filled, strict=True) if f <= 0.2]
    frame = data.select(dense)
    if sparse:
        idx = data.select(
            pl.arg_where(pl.any_horizontal(pl.col(c).is_not_null() for c in sparse))
        ).to_series()
        part = data[idx].select(pl.concat_str([piece(c) for c in sparse], ignore_nulls=True)).to_series()
        frame = frame.with_columns(
            _x=pl.repeat(None, data.height, dtype=pl.Utf8, eager=True).scatter(idx, part)
        )
    pieces = [piece(c) for c in dense] + ([pl.col("_x")] if sparse else [])
    line = "{" + pl.concat_str(pieces, ignore_nulls=True).str.slice(1) + "}"
    s = frame.select(line.alias("j")).to_series()
    bad = np.array(sorted(r for r, k in broken.items() if k == "truncated_json"), dtype=np.int64)
    if len(bad):
        cut = s.gather(bad).str.len_chars() * pl.Series(rng.uniform(0.3, 0.8, len(bad)))
        s = s.scatter(bad, [v[: int(c)] for v, c in zip(s.gather(bad).to_list(), cut.to_list(), strict=True)])
    if not len(s):
        return b""
    buf = io.BytesIO()
    # One string column written as CSV without quoting is exactly one JSON object per line.
    s.to_frame().write_csv(buf, include_header=False, quote_style="never", line_terminator="\n")
    return buf.getvalue()
