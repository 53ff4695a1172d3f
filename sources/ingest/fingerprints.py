"""Content hashes remembered by file identity, so a daily run reads only the files that changed."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import duckdb

from sources.ingest.files import LandingFile, content_hash

# A hash is reused only for a file last modified this long before it was hashed. Linux stamps
# mtime from a coarse clock (one jiffy, 1 to 10 ms; some filesystems 1 to 2 s): a rewrite just
# after hashing could keep the same mtime and size, so such a file is hashed again next run
# (git's "racily clean" rule).
RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class Fingerprint:
    file_bytes: int
    mtime_ns: int
    inode: int
    hashed_ns: int
    content_hash: str

    def matches(self, st: os.stat_result) -> bool:
        """Same size, mtime and inode, and not modified within RACY_NS of being hashed."""
        return (st.st_size, st.st_mtime_ns, st.st_ino) == (
            self.file_bytes,
            self.mtime_ns,
            self.inode,
        ) and self.mtime_ns < self.hashed_ns - RACY_NS


@dataclass
class HashCache:
    """content_hash(lf.path), read from audit.file_fingerprints when the file is unchanged.

    Landing files are immutable by contract (writers rename them into place), so size, mtime and
    inode identify a file's content. Deleting a feed's rows from audit.file_fingerprints makes the
    next run hash every file of it again.
    """

    con: duckdb.DuckDBPyConnection
    feed: str
    known: dict[str, Fingerprint] = field(default_factory=dict)
    fresh: dict[str, Fingerprint] = field(default_factory=dict)
    reused: int = 0

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, feed: str) -> HashCache:
        rows = con.execute(
            "SELECT source_file, file_bytes, mtime_ns, inode, hashed_ns, content_hash "
            "FROM audit.file_fingerprints WHERE feed = ?",
            [feed],
        ).fetchall()
        return cls(con, feed, {r[0]: Fingerprint(*r[1:]) for r in rows})

    def trusted(self, lf: LandingFile) -> str | None:
        """The stored hash when the file is unchanged since it was hashed (no read), else None."""
        known = self.known.get(lf.relative)
        return known.content_hash if known is not None and known.matches(lf.path.stat()) else None

    def digest(self, lf: LandingFile) -> str:
        """The file's content hash; raises what content_hash raises for an unreadable file."""
        known = self.trusted(lf)
        if known is not None:
            self.reused += 1
            return known
        st = lf.path.stat()
        stamp = time.time_ns()
        digest = content_hash(lf.path)
        self.fresh[lf.relative] = Fingerprint(st.st_size, st.st_mtime_ns, st.st_ino, stamp, digest)
        return digest

    def save(self) -> None:
        """Remember the hashes computed this run (one statement, whatever the file count)."""
        if not self.fresh:
            return
        names = list(self.fresh)
        prints = [self.fresh[n] for n in names]
        self.con.execute(
            "INSERT OR REPLACE INTO audit.file_fingerprints "
            "SELECT ?, unnest(?), unnest(?), unnest(?), unnest(?), unnest(?), unnest(?)",
            [
                self.feed,
                names,
                [p.file_bytes for p in prints],
                [p.mtime_ns for p in prints],
                [p.inode for p in prints],
                [p.hashed_ns for p in prints],
                [p.content_hash for p in prints],
            ],
        )
        self.known.update(self.fresh)
        self.fresh.clear()


def already_decided(hashes: HashCache, lf: LandingFile, ledger: frozenset[str]) -> bool:
    """An unchanged file (HashCache trusts its fingerprint) whose content is in the ledger: loaded,
    or recorded as a duplicate, in the run that hashed it. Re-deciding it every run cost a ledger
    query, an audit.load_events row and a log line per file (~1,500 a daily run at 5k customers).
    A file rewritten under the same name has a new size, mtime or inode, so it is hashed again.
    """
    try:
        return hashes.trusted(lf) in ledger
    except OSError:  # gone or unreadable since discovery: the normal path names the problem
        return False
