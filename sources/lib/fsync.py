"""Flush a file or folder to disk: what an atomic rename needs before and after it."""

from __future__ import annotations

import os
from pathlib import Path


def fsync(path: Path) -> None:
    """fsync `path` (a file, or a folder so that a rename in it survives a power cut)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
