"""Reports across scales: merging separate runs, and saving each finished scale of a long run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipelines.bench import run
from pipelines.bench.cli import bench
from pipelines.bench.run import combine
from pipelines.bench.stages import STAGES


def _scale_report(n: int, seconds: float, machine: str = "m") -> dict[str, Any]:
    stages = {**dict.fromkeys(STAGES, 0.0), "dbt": seconds}
    pipeline = {"stages": stages, "seconds": seconds, "success": True, "peak_rss_bytes": 1e9,
                "dbt_steps_seconds": seconds}  # fmt: skip
    scale = {"customers": n, "pipeline": pipeline, "identity": {"f1": 0.9}}
    return {"started_at": f"t{n}", "machine": {"cpu": machine}, "scales": [scale]}


def test_combine_merges_scales_of_separate_runs() -> None:
    report = combine([_scale_report(1000, 30.0), _scale_report(100, 2.0), _scale_report(10, 1.0)])
    assert [s["customers"] for s in report["scales"]] == [10, 100, 1000]
    # 1 s, 2 s, 30 s over 10, 100, 1000: least squares on logs gives k = log10(30) / 2
    assert report["scaling"]["pipeline"]["exponent"] == pytest.approx(0.73856, abs=1e-4)
    assert report["targets"]["customers"] == 1000
    assert report["targets"]["pipeline_seconds"] == {"value": 30.0, "limit": 300.0, "met": True}
    assert report["scales"][0]["ratios"]["pipeline_over_floor"] is None  # no reference measured
    with pytest.raises(ValueError, match="different machines"):
        combine([_scale_report(10, 1.0), _scale_report(100, 2.0, machine="other")])


def test_run_bench_checkpoints_each_finished_scale(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def fake_scale(n: int, opts: run.BenchOptions) -> dict[str, Any]:
        if n == 1000:
            raise RuntimeError("killed in the largest scale")
        return _scale_report(n, n / 10)["scales"][0]

    monkeypatch.setattr(run, "bench_scale", fake_scale)
    saved: list[dict[str, Any]] = []
    with pytest.raises(RuntimeError):
        run.run_bench([1000, 10, 100], run.BenchOptions(work_dir=tmp_path), saved.append)
    # The two smaller scales were saved before the largest one failed, each with what was left.
    assert [[s["customers"] for s in r["scales"]] for r in saved] == [[10], [10, 100]]
    assert [r["scales_pending"] for r in saved] == [[100, 1000], [1000]]
    assert saved[-1]["scaling"]["pipeline"]["exponent"] == pytest.approx(1.0)
    # A saved partial report merges with a later run of the missing scale.
    merged = combine([saved[-1], {**_scale_report(1000, 100.0), "machine": saved[-1]["machine"]}])
    assert [s["customers"] for s in merged["scales"]] == [10, 100, 1000]
    # `crm360 bench` writes each checkpoint to its --out file.
    out = tmp_path / "partial.json"
    args = ["--customers", "10,100,1000", "--work-dir", str(tmp_path), "--out", str(out)]
    result = CliRunner().invoke(bench, args)
    assert isinstance(result.exception, RuntimeError)
    assert json.loads(out.read_text())["scales_pending"] == [1000]
