"""Reports across scales: merging separate runs, and saving each finished scale of a long run."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
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
    def fake_scale(n: int, opts: run.BenchOptions, save: Any = None) -> dict[str, Any]:
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


def _fake_phases(monkeypatch: pytest.MonkeyPatch, killed_in: str) -> None:
    """bench_scale's phases as fakes of a few figures each; the phase killed_in raises KeyboardInterrupt."""

    def kill(*_: Any) -> dict[str, Any]:
        raise KeyboardInterrupt  # a BaseException, as SIGINT is: _timed must not swallow it

    figures = {"seconds": 10.0, "success": True, "stages": dict.fromkeys(STAGES, 2.0),
               "dbt_steps_seconds": 4.0, "peak_rss_bytes": 1e9}  # fmt: skip
    fakes = {
        "simulated": lambda work, n, days, seed: (work / "sim" / f"c{n}-d{days}", {"days": days}),
        "link_landing": lambda src, dest: 5,
        "run_timed": lambda settings: SimpleNamespace(
            success=True, rows_loaded=1000, failures=[], nothing_new_since=None, spark=None
        ),
        "pipeline_figures": lambda timed, sampler: dict(figures),
        "copy_warehouse": lambda src, dest: dest,
        "evaluate": lambda snapshot, truth: None,
        "identity_figures": lambda scores: {"f1": 0.99},
        "floor_scan": lambda landing, limit: {"seconds": 1.0},
        "run_baseline": lambda *args: {"seconds": 20.0, "f1": 0.5},
        "bare_sql": lambda *args: {"seconds": 5.0},
    }
    for name, fake in fakes.items():
        monkeypatch.setattr(run, name, kill if name == killed_in else fake)


def test_a_kill_inside_a_scale_keeps_its_finished_phases(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _fake_phases(monkeypatch, killed_in="bare_sql")
    saved: list[dict[str, Any]] = []
    with pytest.raises(KeyboardInterrupt):
        run.run_bench([100], run.BenchOptions(work_dir=tmp_path), saved.append)
    pending = [r["scales"][0]["phases_pending"] for r in saved]
    assert pending == [
        ["one more day", "no new files", "floor", "splink", "bare_sql"],
        ["no new files", "floor", "splink", "bare_sql"],
        ["floor", "splink", "bare_sql"],
        ["splink", "bare_sql"],
        ["bare_sql"],
    ]
    # Each save holds what was measured by then, and later phases do not change an earlier save.
    assert "incremental" not in saved[0]["scales"][0] and saved[0]["scales"][0]["identity"] == {"f1": 0.99}
    assert saved[3]["scales"][0]["references"].keys() == {"floor"}
    last = saved[-1]["scales"][0]
    assert last["references"].keys() == {"floor", "splink"} and last["incremental"]["files_added"] == 5
    assert last["ratios"]["identity_over_splink_seconds"] == pytest.approx(0.1)  # 2 s against 20 s
    assert last["ratios"]["pipeline_over_bare_sql"] is None
    assert saved[-1]["scales_pending"] == []
    # `crm360 bench` writes the partial scale to its --out file and says what is left.
    out = tmp_path / "partial.json"
    result = CliRunner().invoke(bench, ["--customers", "100", "--work-dir", str(tmp_path), "--out", str(out)])
    assert result.exit_code == 1  # click turns the interrupt into "Aborted!"
    assert json.loads(out.read_text())["scales"][0]["phases_pending"] == ["bare_sql"]
    assert "still to run: 100: bare_sql" in " ".join(result.output.split())
    # A complete run of that scale wins over the killed one in --combine, in either order.
    complete = {**_scale_report(100, 50.0), "machine": saved[-1]["machine"]}
    for reports in ([saved[-1], complete], [complete, saved[-1]]):
        merged = combine(reports)
        assert merged["scales"][0]["pipeline"]["seconds"] == 50.0
        assert "phases_pending" not in merged["scales"][0]


def test_a_finished_scale_has_no_phases_pending(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_phases(monkeypatch, killed_in="")
    saved: list[dict[str, Any]] = []
    opts = run.BenchOptions(work_dir=tmp_path, references=("floor",), incremental=False)
    report = run.run_bench([10, 100], opts, saved.append)
    # 10: after its full build, then finished; 100: after its full build (the CLI writes the end).
    saves = [(len(r["scales"]), r["scales"][-1].get("phases_pending")) for r in saved]
    assert saves == [(1, ["floor"]), (1, None), (2, ["floor"])]
    assert [s["references"]["floor"]["seconds"] for s in report["scales"]] == [1.0, 1.0]


def test_the_table_shortens_a_reference_error_the_json_keeps_whole(tmp_path: Path) -> None:
    sql = "\n".join(f"select {i}" for i in range(50))
    error = f"SplinkException: failing sql:\n{sql}\n\nError was: Out of Memory Error: spill"
    report = _scale_report(100, 10.0)
    report["machine"] = {"cpu": "m", "cores": 2, "memory_bytes": 1e9, "python": "3.11"}
    report["scales"][0] |= {"days": 10, "references": {"splink": {"error": error}}}
    src, out = tmp_path / "in.json", tmp_path / "out.json"
    src.write_text(json.dumps(report))
    result = CliRunner().invoke(bench, ["--combine", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "splink at 100: SplinkException: failing sql: ... Error was: Out of Memory Error: spill" in text
    assert "select 7" not in text
    assert json.loads(out.read_text())["scales"][0]["references"]["splink"]["error"] == error


def test_the_log_line_of_a_failed_reference_is_short(capsys: pytest.CaptureFixture[str]) -> None:
    run._reported("splink", {"error": "SplinkException: sql:\nselect 1\nselect 2\nError was: Out of Memory"})
    run._reported("floor", {"seconds": 31.1})
    err = " ".join(capsys.readouterr().err.split())
    assert "splink: SplinkException: sql: ... Error was: Out of Memory" in err and "select 1" not in err
    assert "floor: 31.1 s" in err
