"""Discovery of landing files per feed, their format and their content hash."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sources.contracts import FeedContract

_SUFFIXES = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".jsonl": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson": "jsonl",
    ".ndjson.gz": "jsonl",
}


@dataclass(frozen=True)
class LandingFile:
    path: Path
    relative: str  # path relative to the landing root, as recorded in raw and audit
    fmt: str  # csv | jsonl
    compressed: bool


def file_format(path: Path) -> tuple[str, bool] | None:
    """Return (format, gzipped) from the file name, or None when it is not a feed file."""
    name = path.name.lower()
    for suffix, fmt in sorted(_SUFFIXES.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix):
            return fmt, suffix.endswith(".gz")
    return None


def discover(landing_root: Path, contract: FeedContract) -> list[LandingFile]:
    """Feed files under landing_root/<feed folder>, oldest name first, temp/hidden files skipped."""
    folder = landing_root / contract.landing_subdir
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        # Writers land files as .tmp/hidden then rename; a half-written file must not be read.
        if not path.is_file() or path.name.startswith((".", "_")) or path.name.endswith(".tmp"):
            continue
        detected = file_format(path)
        if detected is None:
            continue
        found.append(
            LandingFile(
                path=path,
                relative=path.relative_to(landing_root).as_posix(),
                fmt=detected[0],
                compressed=detected[1],
            )
        )
    return found


def content_hash(path: Path, chunk: int = 1 << 20) -> str:
    """sha256 of the file's bytes; gzipped files hash their decompressed content.

    Hashing the decompressed stream makes a re-delivery count as a duplicate even when it was
    re-compressed with another level or timestamp in the gzip header.
    """
    h = hashlib.sha256()
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def read_header(path: Path, compressed: bool) -> bytes:
    """First physical line of a file, without its line end ('' for an empty file)."""
    opener = gzip.open if compressed else open
    with opener(path, "rb") as f:
        line = f.readline(1 << 20)
    return line.rstrip(b"\r\n")
