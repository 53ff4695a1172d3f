"""What loading a file and a feed did: outcome, counts and messages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FileLoad:
    feed: str
    source_file: str
    outcome: str  # loaded | skipped_duplicate | skipped_empty | rejected (the file's fault) | failed
    load_id: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_suppressed: int = 0  # records of people on the suppression list: neither loaded nor quarantined
    extra_columns: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # quarantine samples and notes


def suppressed_note(rows: int) -> str | None:
    """What a file's load event says about its suppressed records (a count, never their values)."""
    return f"{rows} rows suppressed (on the suppression list)" if rows else None


@dataclass
class FeedLoad:
    feed: str
    files: list[FileLoad] = field(default_factory=list)
    # Files already decided in an earlier run (same path, size, mtime and inode as when hashed, and
    # that content in the ledger): counted, not read, not recorded again.
    unchanged: int = 0

    def total(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    @property
    def failed(self) -> list[FileLoad]:
        return [f for f in self.files if f.outcome == "failed"]

    @property
    def rejected(self) -> list[FileLoad]:
        """Files refused as a whole (symlink, nothing loadable, damaged): recorded, never partly loaded."""
        return [f for f in self.files if f.outcome == "rejected"]
