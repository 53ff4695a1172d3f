"""The benchmark's populations: simulated once per size and cached, then hard-linked into a run's landing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pipelines.config import REPO_ROOT


def simulated(work: Path, customers: int, days: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """The cache folder (landing/, truth/) for this population, simulated in a subprocess if absent.

    A subprocess keeps the simulator's memory out of this process, whose RSS is what we measure;
    it writes to a temporary folder renamed at the end, so an interrupted run is never reused.
    """
    final = work / "sim" / f"c{customers}-d{days}-s{seed}"
    meta = final / "simulation.json"
    if meta.exists():
        return final, {**json.loads(meta.read_text()), "cached": True}
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "pipelines.cli", "simulate", "--customers", str(customers),
           "--days", str(days), "--seed", str(seed), "--out", str(tmp / "landing"),
           "--truth", str(tmp / "truth")]  # fmt: skip
    subprocess.run(cmd, cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)
    info = {"customers": customers, "days": days, "seed": seed, "seconds": time.perf_counter() - t0}
    info["files"] = sum(1 for p in (tmp / "landing").rglob("*") if p.is_file())
    info["bytes"] = sum(p.stat().st_size for p in (tmp / "landing").rglob("*") if p.is_file())
    (tmp / "simulation.json").write_text(json.dumps(info, indent=2))
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return final, {**info, "cached": False}


def link_landing(src: Path, dest: Path) -> int:
    """Hard-link every file of src under dest that dest lacks or has with another size; the count.

    The simulator writes day d's files byte-identically whatever the number of days, so after
    simulating one more day only that day's files are new (checked by size, not content: reading
    a 1M-customer landing twice would cost more than the run it prepares).
    """
    added = 0
    for path in sorted(src.rglob("*")):
        if not path.is_file():
            continue
        target = dest / path.relative_to(src)
        if target.exists() and target.stat().st_size == path.stat().st_size:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        try:
            os.link(path, target)
        except OSError:  # another filesystem: copy instead
            shutil.copyfile(path, target)
        added += 1
    return added
