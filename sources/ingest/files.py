"""Discovery of landing files per feed, their format and their content hash."""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path

from sources.contracts import FeedContract
from sources.feeds import FEEDS

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
    refused: str | None = None  # why the file is never opened (symlink, outside the landing folder)


def refusal(path: Path, landing_root: Path) -> str | None:
    """Why a landing path must not be read, or None for a regular file inside the landing folder.

    Checked with lstat, without opening the file: a symbolic link (even one pointing inside),
    anything that is not a regular file, and a path whose resolved location leaves the landing
    folder (a linked parent folder) are refused.
    """
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        return f"refused: a symbolic link (to {os.readlink(path)}); only regular files are read"
    if not stat.S_ISREG(st.st_mode):
        return "refused: not a regular file; only regular files are read"
    resolved = path.resolve()
    if not resolved.is_relative_to(landing_root.resolve()):
        return f"refused: resolves outside the landing folder (to {resolved})"
    return None


def file_format(path: Path) -> tuple[str, bool] | None:
    """Return (format, gzipped) from the file name, or None when it is not a feed file."""
    name = path.name.lower()
    for suffix, fmt in sorted(_SUFFIXES.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix):
            return fmt, suffix.endswith(".gz")
    return None


def discover(landing_root: Path, contract: FeedContract) -> list[LandingFile]:
    """Feed files under landing_root/<feed folder>, oldest name first, temp/hidden files skipped.

    A feed-named entry that is not a regular file inside the landing folder is returned with
    `refused` set: the loader records it and never opens it.
    """
    folder = landing_root / contract.landing_subdir
    if not folder.is_dir():
        return []
    found = []
    root = landing_root.resolve()  # once, not per file (a year of files is ~1,500 of them)
    for path in sorted(folder.rglob("*")):
        # Writers land files as .tmp/hidden then rename; a half-written file must not be read.
        if path.name.startswith((".", "_")) or path.name.endswith(".tmp"):
            continue
        detected = file_format(path)
        if detected is None or path.is_dir() and not path.is_symlink():
            continue
        found.append(
            LandingFile(
                path=path,
                relative=path.relative_to(landing_root).as_posix(),
                fmt=detected[0],
                compressed=detected[1],
                refused=refusal(path, root),
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


def gzip_damage(path: Path, chunk: int = 1 << 20) -> str:
    """Where a damaged gzip stream breaks: the complete lines before the damage, and the error."""
    lines, size, partial = 0, 0, False
    try:
        with gzip.open(path, "rb") as f:
            while block := f.read(chunk):
                lines, size = lines + block.count(b"\n"), size + len(block)
                partial = not block.endswith(b"\n")
    except (OSError, EOFError, zlib.error) as exc:
        cut = f", then a cut line {lines + 1}" if partial else ""
        return (
            f"damaged gzip stream ({type(exc).__name__}: {exc}) after {lines} complete line(s) "
            f"({size} bytes decompressed{cut}); file rejected, nothing of it loaded"
        )
    return "gzip stream could not be read"


def read_header(path: Path, compressed: bool) -> bytes:
    """First physical line of a file, without its line end ('' for an empty file)."""
    opener = gzip.open if compressed else open
    with opener(path, "rb") as f:
        line = f.readline(1 << 20)
    return line.rstrip(b"\r\n")


def landing_snapshot(landing_dir: Path) -> dict[str, list[str]]:
    """Per feed, the landing files with size and mtime (ns: a file re-sent within the same second
    counts as changed), so that a changed file also counts as new."""
    snapshot = {}
    for name, contract in FEEDS.items():
        files = discover(landing_dir, contract)
        snapshot[name] = sorted(
            # lstat: a refused symlink (maybe dangling) is listed, never followed
            f"{f.relative}:{f.path.lstat().st_size}:{f.path.lstat().st_mtime_ns}"
            for f in files
        )
    return snapshot
