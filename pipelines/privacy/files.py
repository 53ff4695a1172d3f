"""Erase a person's e-mails and phones from the files a run writes beside the warehouse (reports, logs)."""

from __future__ import annotations

import re
from pathlib import Path

REDACTED = "[erased]"


def redact_files(folders: list[Path], contained: list[str]) -> dict[str, int]:
    """Replace every case-insensitive occurrence of `contained` in the text files under `folders`; a file
    that is not UTF-8 text but holds one is deleted. Returns {path: occurrences} of the files changed."""
    if not contained:
        return {}
    pattern = re.compile("|".join(re.escape(v) for v in sorted(contained, key=len, reverse=True)), re.I)
    needles = [v.lower().encode() for v in contained]
    changed: dict[str, int] = {}
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
            data = path.read_bytes()
            if not any(n in data.lower() for n in needles):
                continue
            try:
                text, n = pattern.subn(REDACTED, data.decode("utf-8"))
            except UnicodeDecodeError:
                path.unlink()
                changed[str(path)] = -1
                continue
            tmp = path.with_name(f".{path.name}.redact")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            changed[str(path)] = n
    return changed
