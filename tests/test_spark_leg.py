"""The Spark build's order of steps, without Spark: dbt to core, the gate, the marts, the Python marts.

The steps are replaced by recorders (dbt and each Spark step process); what is under test is the
build's own logic: what it copies, in which order it runs the phases, and that an error-severity
rule failing on Spark's core tables leaves the marts unbuilt.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipelines.kpi.settings import KpiSettings
from pipelines.spark import leg
from pipelines.spark.leg import (
    COMPUTED,
    CORE_SELECT,
    MARTS_SELECT,
    SparkChecksFailed,
    build_on_spark,
    copied_inputs,
)
from pipelines.spark.settings import SparkSettings
from quality.calibration import DistributionSettings
from quality.results import ERROR, WARN

SOURCES = ["core.customer_identity_map", "marts.rfm_segment_names", *COMPUTED, "raw.pos", "raw.web"]


def _check(name: str, severity: str, passed: bool, rows: int | None = 0) -> dict:
    asset = "core.fct_returns" if "fct_returns" in name else "marts.customer_360"
    return {
        "check_name": name, "asset": asset, "severity": severity, "passed": passed,
        "failing_rows": rows, "sample": None,
    }  # fmt: skip


@dataclass
class Recorder:
    """dbt and the step processes: records each call, answers each step with its JSON lines."""

    data_dir: Path
    answers: dict[str, list[dict] | str] = field(default_factory=dict)
    spark: SparkSettings = field(default_factory=SparkSettings)
    calls: list[tuple] = field(default_factory=list)

    def run(self, verb: str, target: Path, select: list[str] | None = None, extra: tuple = ()) -> None:
        self.calls.append(("dbt", verb, tuple(select or ()), extra))

    def step(self, command: list[str], name: str, allowed: tuple[int, ...] = (0,)):
        self.calls.append(("step", name, tuple(command)))
        answer = self.answers.get(name, [])
        stdout = (
            answer if isinstance(answer, str) else "\n".join(["Spark says hello", *map(json.dumps, answer)])
        )
        return subprocess.CompletedProcess(command, 0, stdout, "")

    def names(self) -> list[str]:
        return [
            call[1] if call[0] == "step" else f"dbt {call[1]} {' '.join(call[2])}".strip()
            for call in self.calls
        ]


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Recorder:
    rec = Recorder(tmp_path)
    rec.answers = {
        "raw_sync": [{"feed": "pos", "loads_copied": 1, "rows_copied": 9}],
        "mirror": "cleared marts.customer_360\ncore.customer_identity_map\nmarts.rfm_segment_names\n",
        "clv": [{"n_customers": 9, "clv_models": {"bgnbd_gamma_gamma": 9}, "warnings": [], "seconds": 1.0}],
        "kpi_marts": [{"kpi_campaign_lift": {"campaigns": 2}, "sales_forecast": {"channels": 2}}],
    }
    monkeypatch.setattr(leg, "_step", rec.step)
    monkeypatch.setattr(leg, "source_tables", lambda target: SOURCES)
    monkeypatch.setattr(leg, "model_tables", lambda target: ["core.fct_returns", "marts.customer_360"])
    monkeypatch.setattr(leg, "tests_run", lambda target: {"pass": len(rec.calls)})
    return rec


def test_the_inputs_copied_are_neither_raw_nor_computed_on_spark() -> None:
    assert copied_inputs(SOURCES) == ["core.customer_identity_map", "marts.rfm_segment_names"]
    assert {"marts.customer_clv", "marts.clv_holdout", "marts.kpi_campaign_lift"} <= set(COMPUTED)


def test_the_gate_runs_on_spark_between_core_and_the_marts(recorder: Recorder) -> None:
    recorder.answers["gates core"] = [_check("pandera:fct_returns:quantity_positive", ERROR, True)]
    recorder.answers["gates marts"] = [_check("pandera:customer_360:counts_non_negative", WARN, False, 3)]
    kpi = KpiSettings(forecast_weeks=5)
    distribution = DistributionSettings(severity=ERROR)
    build = build_on_spark(recorder, recorder.data_dir / "w.duckdb", kpi, distribution, run_id="run-7")
    core, marts = f"dbt build {' '.join(CORE_SELECT)}", f"dbt build {' '.join(MARTS_SELECT)}"
    assert recorder.names() == [
        "dbt parse", "raw_sync", "mirror", core, "gates core", "clv", marts, "kpi_marts", "gates marts",
    ]  # fmt: skip
    steps = {call[1]: call[2] for call in recorder.calls if call[0] == "step"}
    assert steps["mirror"][-6:] == (
        "core.customer_identity_map", "marts.rfm_segment_names",
        "--clear-leftover", "core.fct_returns", "--clear-leftover", "marts.customer_360",
    )  # fmt: skip
    for step in ("clv", "kpi_marts"):  # CLV before the marts (customer_segments reads it)
        kpi_arg = steps[step][steps[step].index("--kpi") + 1]
        assert KpiSettings.from_plain(json.loads(kpi_arg)) == kpi
    gate = steps["gates core"]
    assert json.loads(gate[gate.index("--distribution") + 1])["severity"] == ERROR
    # both stages record their checks, and the phase's dbt tests, under the run's id
    for stage in ("gates core", "gates marts"):
        assert _option(steps[stage], "--run-id") == "run-7" == build.figures()["run_id"]
        assert _option(steps[stage], "--dbt-target") == str(recorder.data_dir / "spark" / "dbt-target")
    # a core test that also reads a mart waits for the marts' phase
    assert recorder.calls[3][3] == ("--indirect-selection", "cautious")
    figures = build.figures()
    assert figures["checks_run"] == 2 and figures["checks_failed"] == [
        "pandera:customer_360:counts_non_negative"
    ]
    assert figures["computed_on_spark"] == sorted(COMPUTED) and figures["tables_copied"] == 2
    assert figures["leftovers_cleared"] == ["marts.customer_360"]
    assert build.marts == recorder.answers["kpi_marts"][0]
    assert figures["clv"] == {"n_customers": 9, "clv_models": {"bgnbd_gamma_gamma": 9}, "warnings": []}
    assert figures["dbt_tests"] == {"core": {"pass": 4}, "marts": {"pass": 7}}  # read after each phase


def test_the_sync_reports_its_loads_and_the_samples_an_erasure_cleared(recorder: Recorder) -> None:
    recorder.answers["raw_sync"] = [
        {"feed": "pos", "loads_copied": 2, "rows_copied": 30, "loads_in_spark": 2},
        {"feed": "web", "loads_copied": 0, "rows_copied": 0, "loads_in_spark": 1},
        {"audit_samples_cleared": 12},
    ]
    figures = build_on_spark(recorder, recorder.data_dir / "w.duckdb").figures()
    assert (figures["raw_loads_copied"], figures["raw_rows_copied"]) == (2, 30)
    assert figures["audit_samples_cleared"] == 12


def _option(command: tuple[str, ...], name: str) -> str:
    return command[command.index(name) + 1]


def test_a_build_without_a_run_id_records_its_checks_under_a_new_one(recorder: Recorder) -> None:
    first, second = (build_on_spark(recorder, recorder.data_dir / "w.duckdb") for _ in range(2))
    gates = [call[2] for call in recorder.calls if call[0] == "step" and call[1].startswith("gates")]
    assert [_option(gate, "--run-id") for gate in gates] == [first.run_id] * 2 + [second.run_id] * 2
    assert first.run_id and first.run_id != second.run_id


def test_an_error_rule_failing_on_sparks_core_leaves_the_marts_unbuilt(recorder: Recorder) -> None:
    recorder.answers["gates core"] = [
        _check("pandera:fct_returns:quantity_positive", ERROR, False, 4),
        _check("pandera:fct_returns:refund_non_negative", WARN, False, 1),
    ]
    with pytest.raises(SparkChecksFailed, match="marts not built") as raised:
        build_on_spark(recorder, recorder.data_dir / "w.duckdb")
    assert [c["check_name"] for c in raised.value.failed] == ["pandera:fct_returns:quantity_positive"]
    assert "quantity_positive (core.fct_returns): 4 rows" in str(raised.value)
    assert recorder.names()[-1] == "gates core"
    # every result of the closed gate, for Dagster's check of the stage
    assert [(c["check_name"], c["stage"]) for c in raised.value.checks] == [
        ("pandera:fct_returns:quantity_positive", "core"),
        ("pandera:fct_returns:refund_non_negative", "core"),
    ]


def test_a_warning_or_a_passing_gate_lets_the_marts_build(recorder: Recorder) -> None:
    recorder.answers["gates core"] = [_check("pandera:fct_returns:refund_non_negative", WARN, False, 1)]
    built = build_on_spark(recorder, recorder.data_dir / "w.duckdb")
    assert "kpi_marts" in recorder.names()
    assert [c["stage"] for c in built.checks] == ["core"]  # the marts' gate answered no rules here


def test_a_rule_that_could_not_run_on_spark_closes_the_gate(recorder: Recorder) -> None:
    recorder.answers["gates core"] = [_check("pandera:fct_returns:exists", ERROR, False, None)]
    with pytest.raises(SparkChecksFailed, match=r"exists \(core.fct_returns\): None rows"):
        build_on_spark(recorder, recorder.data_dir / "w.duckdb")
