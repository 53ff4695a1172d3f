"""What the last complete build saw (landing files, settings, code), so that a run with nothing new
does not rebuild the warehouse: it checks the feeds' loads and freshness and stops there."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import dagster as dg

from pipelines.config import DBT_PROJECT_DIR, REPO_ROOT, Settings
from sources.ingest.files import landing_snapshot

STATE_FILE = Path("state") / "last_build.json"  # under the data directory
# The landing files the last complete build started from: the next whole run loads the days of the
# files not in it (pipelines/defs/partitions.py). A scheduled run's list waits in PENDING_DIR, named
# by its landing fingerprint, until the run-status sensor records the build.
LANDING_FILE = Path("state") / "last_build_landing.json"
PENDING_DIR = Path("state") / "landing_pending"
# When the warehouse last changed outside a run (an erasure): a build that started before it is stale.
CHANGED_FILE = Path("state") / "changed_outside_run.json"
# What a build depends on besides the landing and the settings: the pipeline's code and the dbt project.
CODE_DIRS = ("pipelines", "sources", "quality")
DBT_DIRS = ("models", "macros", "tests", "seeds", "snapshots")


@dataclass(frozen=True)
class BuildInputs:
    landing: str  # sha256 of every feed's landing files with size and mtime
    config: str  # sha256 of the settings, the code and the dbt project


def _digest(parts: list[str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def landing_fingerprint(landing_dir: Path) -> str:
    return snapshot_fingerprint(landing_snapshot(landing_dir))


def snapshot_fingerprint(files: dict[str, list[str]]) -> str:
    return _digest([json.dumps(files, sort_keys=True)])


def code_files() -> list[Path]:
    files = [p for d in CODE_DIRS for p in (REPO_ROOT / d).rglob("*.py")]
    files += [p for d in DBT_DIRS for p in (DBT_PROJECT_DIR / d).rglob("*") if p.is_file()]
    files += [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    return sorted(p for p in files if p.exists() and "__pycache__" not in p.parts)


def config_fingerprint(settings: Settings) -> str:
    """Settings as they reach the resources, and the content of every code and dbt file.

    The pseudonym key is left out: a secret goes into no file, not even hashed with the rest."""
    shown = replace(settings, pseudonym_key=None)
    parts = [json.dumps(asdict(shown), sort_keys=True, default=str)]
    for f in code_files():
        name = f.relative_to(REPO_ROOT) if f.is_relative_to(REPO_ROOT) else f
        parts.append(f"{name}:{hashlib.sha256(f.read_bytes()).hexdigest()}")
    return _digest(parts)


def build_inputs(settings: Settings, files: dict[str, list[str]] | None = None) -> BuildInputs:
    """`files`: the landing snapshot already taken (the fingerprint is then of exactly those files)."""
    files = landing_snapshot(settings.landing_dir) if files is None else files
    return BuildInputs(snapshot_fingerprint(files), config_fingerprint(settings))


def read_state(data_dir: Path) -> tuple[BuildInputs, str] | None:
    """The inputs of the last complete build and its run id; None if there is none or it is unreadable."""
    try:
        saved = json.loads((data_dir / STATE_FILE).read_text())
        return BuildInputs(saved["landing"], saved["config"]), saved["run_id"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_state(data_dir: Path, inputs: BuildInputs, run_id: str, started_at: float | None = None) -> None:
    """Record a complete, successful build of `inputs` that started at `started_at` (epoch seconds; now
    when None). Atomic: a crash leaves the old state. A build that started before the warehouse changed
    outside a run is not recorded: it missed that change."""
    started_at = time.time() if started_at is None else started_at
    if changed_since(data_dir, started_at):
        return
    path = data_dir / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({**asdict(inputs), "run_id": run_id}, sort_keys=True))
    os.replace(tmp, path)
    if changed_since(data_dir, started_at):  # an erasure between the check and the write
        path.unlink(missing_ok=True)


def forget_build(data_dir: Path) -> None:
    """The warehouse changed outside a run (an erasure): no build is recorded any more, so the next run
    builds even with nothing new landed, and a copy built from the warehouse (Spark's) catches up."""
    _write_json(data_dir / CHANGED_FILE, {"at": time.time()})
    (data_dir / STATE_FILE).unlink(missing_ok=True)


def changed_since(data_dir: Path, started_at: float) -> bool:
    """Whether the warehouse changed outside a run at or after `started_at`. An unreadable record is
    dated by its file's time, which the erasure wrote too."""
    path = data_dir / CHANGED_FILE
    try:
        at = float(json.loads(path.read_text())["at"])
    except FileNotFoundError:
        return False
    except (OSError, ValueError, KeyError, TypeError):
        at = path.stat().st_mtime
    return at >= started_at


def _write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(value, sort_keys=True))
    os.replace(tmp, path)


def read_landing(data_dir: Path) -> dict[str, list[str]] | None:
    """The landing files of the last complete build; None if none was recorded (or it is unreadable)."""
    try:
        files = json.loads((data_dir / LANDING_FILE).read_text())
    except (OSError, ValueError):
        return None
    return files if isinstance(files, dict) else None


def write_landing(data_dir: Path, files: dict[str, list[str]]) -> None:
    _write_json(data_dir / LANDING_FILE, files)


def stage_landing(data_dir: Path, fingerprint: str, files: dict[str, list[str]]) -> None:
    """Keep a scheduled run's landing files until its success is recorded (promote_landing)."""
    _write_json(data_dir / PENDING_DIR / f"{fingerprint}.json", files)


def promote_landing(data_dir: Path, fingerprint: str) -> None:
    """The recorded build started from the staged files of `fingerprint`; older staged lists go."""
    pending = data_dir / PENDING_DIR / f"{fingerprint}.json"
    if pending.exists():
        os.replace(pending, data_dir / LANDING_FILE)
    for stale in (data_dir / PENDING_DIR).glob("*.json") if (data_dir / PENDING_DIR).is_dir() else []:
        stale.unlink(missing_ok=True)


def unchanged_since(settings: Settings, inputs: BuildInputs) -> str | None:
    """The run id of the last complete build when nothing it depends on changed, else None.

    A configured web API may hold new events the landing does not show yet: then it is never
    'nothing new'."""
    return _unchanged(settings.data_dir, inputs, pulls_api=bool(settings.web_api_url))


def _unchanged(data_dir: Path, inputs: BuildInputs, pulls_api: bool) -> str | None:
    state = None if pulls_api else read_state(data_dir)
    return state[1] if state is not None and state[0] == inputs else None


class BuildResource(dg.ConfigurableResource):
    """The build state for the schedule and the sensors: the data directory, the landing, and the
    fingerprint of the settings and code, taken when the definitions were built."""

    data_dir: str
    landing_dir: str
    config_fingerprint: str
    pulls_api: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> BuildResource:
        return cls(
            data_dir=str(settings.data_dir),
            landing_dir=str(settings.landing_dir),
            config_fingerprint=config_fingerprint(settings),
            pulls_api=bool(settings.web_api_url),
        )

    def inputs(self, files: dict[str, list[str]] | None = None) -> BuildInputs:
        files = landing_snapshot(Path(self.landing_dir)) if files is None else files
        return BuildInputs(snapshot_fingerprint(files), self.config_fingerprint)

    def landing_files(self) -> dict[str, list[str]]:
        return landing_snapshot(Path(self.landing_dir))

    def last_landing(self) -> dict[str, list[str]]:
        """The landing files of the last complete build ({} when none was recorded: all is new)."""
        return read_landing(Path(self.data_dir)) or {}

    def stage_landing(self, inputs: BuildInputs, files: dict[str, list[str]]) -> None:
        stage_landing(Path(self.data_dir), inputs.landing, files)

    def unchanged_since(self, inputs: BuildInputs) -> str | None:
        return _unchanged(Path(self.data_dir), inputs, self.pulls_api)

    def record(self, inputs: BuildInputs, run_id: str, started_at: float) -> None:
        write_state(Path(self.data_dir), inputs, run_id, started_at)
        promote_landing(Path(self.data_dir), inputs.landing)
