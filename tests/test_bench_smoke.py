"""The benchmark end to end at a tiny scale (so `crm360 bench` cannot rot), and its pure parts by hand."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import duckdb
import pytest
from click.testing import CliRunner

from pipelines.bench.baseline import identity_figures
from pipelines.bench.cli import bench, parse_references, parse_scales
from pipelines.bench.landing import link_landing
from pipelines.bench.memory import PAGE, descendants, tree_rss
from pipelines.bench.model_profile import profile
from pipelines.bench.references import model_order
from pipelines.bench.report import fit_exponent, scaling
from pipelines.bench.stages import STAGES, stage_of

CUSTOMERS, DAYS = 200, 10
# The module fixture runs the whole benchmark (two pipeline runs and the references) inside the
# first test that uses it: 4 to 5 minutes alone, past the suite's 900 s hang guard when the CI
# shared the 2 cores with a 1M-customer benchmark.
pytestmark = pytest.mark.timeout(1800)


def test_fit_exponent_and_superlinear_flag() -> None:
    assert fit_exponent([(1000, 2.0), (10000, 20.0)]) == pytest.approx(1.0)
    assert fit_exponent([(1000, 1.0), (10000, 100.0), (100000, 10000.0)]) == pytest.approx(2.0)
    assert fit_exponent([(1000, 5.0)]) is None

    def result(n: int, identity: float, dbt: float, success: bool = True) -> dict[str, Any]:
        stages = {**dict.fromkeys(STAGES, 0.0), "identity": identity, "dbt": dbt}
        return {"customers": n, "pipeline": {"stages": stages, "seconds": identity + dbt, "success": success}}

    # identity: 1 s -> 4 s over 10x is k = log10(4) = 0.60; dbt 1 s -> 20 s is k = 1.30. The failed
    # run at 10,000 stopped early and must not enter the fit.
    flags = scaling([result(100, 1.0, 1.0), result(1000, 4.0, 20.0), result(10000, 0.5, 0.5, success=False)])
    assert flags["identity"]["exponent"] == pytest.approx(0.60206, abs=1e-4)
    assert not flags["identity"]["superlinear"]
    assert flags["dbt"]["exponent"] == pytest.approx(1.30103, abs=1e-4)
    assert flags["dbt"]["superlinear"]


def test_parse_scales() -> None:
    assert parse_scales(("100000,300000", "1_000_000", "300000")) == [100000, 300000, 1000000]
    with pytest.raises(click.BadParameter):
        parse_scales(("0",))
    with pytest.raises(click.BadParameter):
        parse_scales(("1e6",))


def test_parse_references() -> None:
    assert parse_references("bare_sql, floor") == ("floor", "bare_sql")  # run order, not given order
    assert parse_references("") == ()
    with pytest.raises(click.BadParameter, match="unknown reference"):
        parse_references("floor,gx")


def test_tree_rss_sums_every_descendant(tmp_path: Path) -> None:
    # 100 -> 101 (two threads, one with child 103) and 102; 999 is not in the tree.
    tree = {100: {100: "101 102"}, 101: {101: "", 105: "103"}, 102: {102: ""}, 103: {103: ""}, 999: {999: ""}}
    rss_pages = {100: 10, 101: 20, 102: 30, 103: 40, 999: 1000}
    for pid, threads in tree.items():
        for tid, kids in threads.items():
            (tmp_path / str(pid) / "task" / str(tid)).mkdir(parents=True)
            (tmp_path / str(pid) / "task" / str(tid) / "children").write_text(kids)
        (tmp_path / str(pid) / "statm").write_text(f"5000 {rss_pages[pid]} 7 1 0 9 0\n")
    assert sorted(descendants(100, tmp_path)) == [100, 101, 102, 103]
    assert tree_rss(100, tmp_path) == 100 * PAGE


def test_link_landing_adds_only_new_or_resized_files(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    (src / "pos").mkdir(parents=True)
    (dest / "pos").mkdir(parents=True)
    (src / "pos" / "day1.csv").write_text("a,b\n")
    (dest / "pos" / "day1.csv").write_text("x,y\n")  # same size: left alone
    (src / "pos" / "day2.csv").write_text("a,b\n1,2\n")
    (src / "web").mkdir()
    (src / "web" / "day2.jsonl").write_text("{}\n")
    assert link_landing(src, dest) == 2
    assert (dest / "pos" / "day1.csv").read_text() == "x,y\n"
    assert os.path.samefile(src / "pos" / "day2.csv", dest / "pos" / "day2.csv")
    assert (dest / "web" / "day2.jsonl").read_text() == "{}\n"


def test_identity_figures_f1_without_web_web_pairs() -> None:
    report = {
        "precision": 0.9, "recall": 0.8, "f1": 0.85, "customers": 7, "records_evaluated": 20,
        "cluster_precision": 0.7, "cluster_recall": 0.6, "cluster_f1": 0.65,
        "by_feed_pair": [
            {"feed_a": "web", "feed_b": "web", "false_merges": 100, "missed_links": 100, "correct": 1},
            {"feed_a": "pos", "feed_b": "web", "false_merges": 1, "missed_links": 3, "correct": 8},
            {"feed_a": "pos", "feed_b": "pos", "false_merges": 0, "missed_links": 0, "correct": 2},
        ],
    }  # fmt: skip
    # tp 10, fp 1, fn 3: F1 = 2*10 / (2*10 + 1 + 3) = 20/24.
    assert identity_figures(report)["f1_without_web_web_pairs"] == pytest.approx(20 / 24)
    assert identity_figures(report)["f1"] == 0.85 and identity_figures(report)["cluster_f1"] == 0.65


def test_model_order_puts_parents_first() -> None:
    def model(*parents: str) -> dict[str, Any]:
        return {"resource_type": "model", "depends_on": {"nodes": list(parents)}}

    manifest = {
        "nodes": {
            "model.x.c": model("model.x.b", "source.x.raw"),
            "model.x.b": model("model.x.a"),
            "model.x.a": model(),
            "test.x.t": {"resource_type": "test", "depends_on": {"nodes": ["model.x.c"]}},
        }
    }
    assert model_order(manifest) == ["model.x.a", "model.x.b", "model.x.c"]


@dataclass
class SmokeRun:
    work: Path
    exit_code: int
    stdout: str
    report: dict[str, Any]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> SmokeRun:
    """One benchmark run: simulate, full build, one more day, the three references."""
    work = tmp_path_factory.mktemp("bench")
    out = work / "figures.json"
    args = ["--customers", str(CUSTOMERS), "--days", str(DAYS), "--work-dir", str(work), "--out", str(out)]
    result = CliRunner().invoke(bench, args, catch_exceptions=False)
    report = json.loads(out.read_text()) if out.exists() else {}
    return SmokeRun(work, result.exit_code, result.stdout, report)


def _files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


@pytest.mark.integration
def test_bench_stages_memory_and_table(smoke: SmokeRun) -> None:
    assert smoke.exit_code == 0, smoke.stdout
    (scale,) = smoke.report["scales"]
    pipe = scale["pipeline"]
    assert pipe["success"], pipe["failures"]
    assert set(pipe["stages"]) == set(STAGES)
    # Every step of the job belongs to a named stage, and each named stage ran at least one step;
    # a DuckDB run (the default engine) has no Spark build.
    assert scale["engine"] == "duckdb" and "spark" not in scale
    ran = set(STAGES) - {"other", "spark"}
    assert {stage_of(s["step"]) for s in pipe["steps"]} == ran
    assert all(pipe["stages"][s] > 0 for s in ran) and pipe["stages"]["spark"] == 0
    assert sum(pipe["stages"].values()) <= pipe["seconds"]
    assert pipe["peak_rss_bytes"] > 0
    assert pipe["stage_peak_rss_bytes"]["dbt"] > 0
    # dbt's own run time, from each dbt step's run_results.json, fits inside the step's time.
    assert set(pipe["dbt_execution"]) == {"dbt_staging", "dbt_warehouse", "dbt_marts"}
    assert 0 < pipe["dbt_inside_seconds"] < pipe["dbt_steps_seconds"]
    # The pipeline's dbt builds run models and data tests; unit tests are left to make test.
    assert all("unit_test_seconds" not in d and d["test_seconds"] > 0 for d in pipe["dbt_execution"].values())
    assert smoke.report["machine"]["cores"] >= 1
    for text in ("crm360 benchmark", "whole pipeline", "pipeline / floor", "dbt steps / bare SQL"):
        assert text in smoke.stdout


@pytest.mark.integration
def test_bench_references_and_ratios(smoke: SmokeRun) -> None:
    (scale,) = smoke.report["scales"]
    refs = scale["references"]
    sim = smoke.work / "sim" / f"c{CUSTOMERS}-d{DAYS}-s42" / "landing"
    floor = refs["floor"]
    assert "error" not in floor
    assert sum(f["files"] for f in floor["feeds"].values()) == _files(sim)  # every landing file, once
    bare = refs["bare_sql"]
    assert "error" not in bare, bare.get("error")
    manifest = json.loads((Path(__file__).parents[1] / "dbt_project/target/manifest.json").read_text())
    assert bare["models"] == sum(n["resource_type"] == "model" for n in manifest["nodes"].values())
    assert bare["relations_dropped"] == bare["models"]
    # Every model timed on both sides, so the per-model comparison covers the whole build.
    assert set(bare["model_seconds"]) == set(scale["pipeline"]["dbt_model_seconds"])
    assert scale["model_overhead"]["models_compared"] == bare["models"]
    assert "dbt against bare SQL per model" in smoke.stdout
    splink = refs["splink"]
    assert "error" not in splink and "skipped" not in splink
    assert 0.0 <= splink["f1"] <= 1.0
    assert splink["records"] == scale["identity"]["records_evaluated"]
    ratios = scale["ratios"]
    for name in (
        "pipeline_over_floor",
        "ingestion_over_floor",
        "pipeline_over_bare_sql",
        "dbt_over_bare_sql",
        "identity_over_splink_seconds",
        "incremental_over_full",
        "no_new_files_over_full",
    ):
        assert ratios[name] is not None and ratios[name] > 0, name
    assert scale["ratios"]["identity_f1_minus_splink_f1"] == pytest.approx(
        scale["identity"]["f1"] - splink["f1"]
    )
    assert smoke.report["targets"]["customers"] == CUSTOMERS


@pytest.mark.integration
def test_bench_combine_prints_the_table_of_saved_reports(smoke: SmokeRun, tmp_path: Path) -> None:
    merged = tmp_path / "merged.json"
    args = ["--combine", str(smoke.work / "figures.json"), "--out", str(merged)]
    result = CliRunner().invoke(bench, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stdout
    assert "whole pipeline" in result.stdout
    assert json.loads(merged.read_text())["scales"] == smoke.report["scales"]


@pytest.mark.integration
def test_bench_one_more_day(smoke: SmokeRun) -> None:
    (scale,) = smoke.report["scales"]
    inc = scale["incremental"]
    assert inc["success"], inc["failures"]
    before = smoke.work / "sim" / f"c{CUSTOMERS}-d{DAYS}-s42" / "landing"
    after = smoke.work / "sim" / f"c{CUSTOMERS}-d{DAYS + 1}-s42" / "landing"
    # Day d's files are byte-identical whatever the number of days: only the new day's are added.
    assert inc["files_added"] == _files(after) - _files(before) > 0
    assert 0 < inc["rows_loaded"] < scale["pipeline"]["rows_loaded"]
    assert inc["new_row_share"] == pytest.approx(inc["rows_loaded"] / scale["pipeline"]["rows_loaded"])


@pytest.mark.integration
def test_bench_no_new_files(smoke: SmokeRun) -> None:
    (scale,) = smoke.report["scales"]
    quiet = scale["no_new_files"]
    assert quiet["success"], quiet["failures"]
    assert quiet["nothing_new_since"]  # the one-more-day run's id: it stopped at the feeds
    assert quiet["rows_loaded"] == 0
    assert scale["ratios"]["no_new_files_over_full"] == pytest.approx(
        quiet["seconds"] / scale["pipeline"]["seconds"]
    )
    assert "no new files / full build" in smoke.stdout


@pytest.mark.integration
def test_model_profile_builds_one_model_three_ways(smoke: SmokeRun, tmp_path: Path) -> None:
    (built,) = (smoke.work / "runs").glob("*/warehouse/crm360.duckdb")
    warehouse = tmp_path / "warehouse" / "crm360.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(built, warehouse)

    def rows() -> list[tuple[str, int]]:
        """(table, rows) of every table whose name starts with fct_web_events."""
        with duckdb.connect(str(warehouse), read_only=True) as con:
            names = con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE table_name LIKE 'fct_web_events%'"
            ).fetchall()
            return [(t, con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0]) for s, t in names]

    before = rows()
    got = profile(warehouse, ["fct_web_events"], repeat=1, work=tmp_path / "profile")
    (first,) = got["fct_web_events"]
    assert set(first) == {"dbt_wall", "dbt_elapsed", "dbt_model", "bare", "replay"}
    assert all(v > 0 for v in first.values())
    assert first["dbt_model"] <= first["dbt_elapsed"] <= first["dbt_wall"]
    # Each variant replaced the table with the same rows; no intermediate table is left.
    assert rows() == before and len(before) == 1
