"""dbt's own times from run_results.json, and dbt against bare SQL model by model with its table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from pipelines.bench.overhead import model_overhead
from pipelines.bench.pipeline import dbt_execution, dbt_model_seconds
from pipelines.bench.report import print_report
from pipelines.bench.run import combine
from pipelines.bench.stages import STAGES


def test_dbt_execution_reads_each_steps_run_results(tmp_path: Path) -> None:
    def results(folder: str, elapsed: float, nodes: list[tuple[str, float]]) -> None:
        (tmp_path / folder).mkdir()
        body = {"elapsed_time": elapsed, "results": [{"unique_id": u, "execution_time": t} for u, t in nodes]}
        (tmp_path / folder / "run_results.json").write_text(json.dumps(body))

    results("dbt_staging-abcdef1-1111111", 9.5, [("model.p.a", 2.0), ("test.p.t1", 0.5), ("test.p.t2", 1.0)])
    results("dbt_marts-abcdef1-2222222", 4.0, [("unit_test.p.a.u", 0.25), ("model.p.m", 3.0)])
    results("dbt_marts-0000000-3333333", 99.0, [("model.p.m", 99.0)])  # another run
    got = dbt_execution("abcdef1-9999-run", ("dbt_staging", "dbt_warehouse", "dbt_marts"), tmp_path)
    assert got == {
        "dbt_staging": {"elapsed_seconds": 9.5, "model_seconds": 2.0, "test_seconds": 1.5},
        "dbt_marts": {"elapsed_seconds": 4.0, "unit_test_seconds": 0.25, "model_seconds": 3.0},
    }


def test_dbt_model_seconds_takes_models_of_this_run_only(tmp_path: Path) -> None:
    def results(folder: str, nodes: list[tuple[str, float | None]]) -> None:
        (tmp_path / folder).mkdir()
        body = {"elapsed_time": 1.0, "results": [{"unique_id": u, "execution_time": t} for u, t in nodes]}
        (tmp_path / folder / "run_results.json").write_text(json.dumps(body))

    results("dbt_staging-abcdef1-1", [("model.p.a", 2.0), ("test.p.t1", 0.5), ("model.p.v", None)])
    results("dbt_marts-abcdef1-2", [("unit_test.p.m.u", 0.25), ("model.p.m", 3.0)])
    results("dbt_marts-0000000-3", [("model.p.m", 99.0)])  # another run's invocation
    got = dbt_model_seconds("abcdef1-9999", ("dbt_staging", "dbt_warehouse", "dbt_marts"), tmp_path)
    assert got == {"model.p.a": 2.0, "model.p.v": 0.0, "model.p.m": 3.0}


def _scale(dbt: dict[str, float], bare: dict[str, float] | None) -> dict[str, Any]:
    stages = {**dict.fromkeys(STAGES, 1.0), "dbt": sum(dbt.values())}
    pipeline = {"success": True, "seconds": 100.0, "stages": stages, "peak_rss_bytes": 1e9,
                "dbt_steps_seconds": sum(dbt.values()), "dbt_model_seconds": dbt}  # fmt: skip
    refs = {} if bare is None else {"bare_sql": {"seconds": sum(bare.values()), "model_seconds": bare}}
    return {"customers": 1000, "days": 365, "pipeline": pipeline, "references": refs, "identity": {}}


def test_model_overhead_lists_the_largest_models_and_where_the_difference_sits() -> None:
    dbt = {"model.p.big": 50.0, "model.p.mid": 9.0, "model.p.small": 1.0, "model.p.tiny": 0.5}
    bare = {"model.p.big": 40.0, "model.p.mid": 10.0, "model.p.small": 0.5, "model.p.tiny": 0.5,
            "model.p.only_bare": 3.0}  # fmt: skip
    got = model_overhead(_scale(dbt, bare), top=2)
    assert got is not None
    assert [m["model"] for m in got["largest"]] == ["big", "mid"]  # by dbt + bare seconds
    assert got["largest"][0]["ratio"] == pytest.approx(1.25)
    assert got["models_compared"] == 4  # only models both sides ran
    assert (got["dbt_seconds"], got["bare_seconds"]) == (60.5, 51.0)
    assert got["rest"] == {"models": 2, "dbt_seconds": 1.5, "bare_seconds": 1.0}
    # dbt - bare = 9.5 s in all; the two listed models hold 10 - 1 = 9 s of it.
    assert got["difference_in_top"] == pytest.approx(9.0 / 9.5)
    assert model_overhead(_scale(dbt, None)) is None
    assert model_overhead(_scale(dbt, {})) is None


def test_the_report_prints_the_per_model_table() -> None:
    dbt = {f"model.p.m{i}": float(i + 1) for i in range(12)}
    bare = {uid: secs / 2 for uid, secs in dbt.items()}
    machine = {"cpu": "c", "cores": 2, "memory_bytes": 1e9, "python": "3.11"}
    report = combine([{"started_at": "t", "machine": machine, "scales": [_scale(dbt, bare)]}])
    assert report["scales"][0]["model_overhead"]["ratio"] == pytest.approx(2.0)
    console = Console(record=True, width=120)
    print_report(report, console)
    text = console.export_text()
    assert "dbt against bare SQL per model, 1,000 customers" in text
    assert "m11" in text and "2 other models" in text and "all 12 models" in text
