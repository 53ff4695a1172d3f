"""`crm360 identity-eval` on a public labelled benchmark through the real pipeline, beside Splink."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipelines.bench.identity_eval_cli import parse_benchmarks, table_rows
from pipelines.cli import main


def test_benchmark_names_are_checked() -> None:
    assert parse_benchmarks("febrl1, simulator,febrl1") == ("febrl1", "simulator")
    for bad in ("febrl4a", "febrl4", ""):
        with pytest.raises(click.BadParameter):
            parse_benchmarks(bad)


def test_table_rows_show_both_methods_and_a_skipped_reference() -> None:
    fig = {
        "precision": 1.0, "recall": 0.95, "f1": 0.974, "cluster_precision": 0.9, "cluster_recall": 0.95,
        "cluster_f1": 0.92, "customers": 520, "meets_target": True,
    }  # fmt: skip
    rows = table_rows(
        [
            {"benchmark": "febrl1", "crm360": fig, "splink_reference": {**fig, "meets_target": False}},
            {"benchmark": "simulator", "crm360": fig, "splink_reference": {"skipped": "too many pairs"}},
        ]
    )
    assert [r[:2] for r in rows] == [
        ("febrl1", "crm360"),
        ("febrl1", "Splink reference"),
        ("simulator", "crm360"),
        ("simulator", "Splink reference"),
    ]
    assert rows[0][-1] == "meets target" and rows[1][-1] == "misses target"
    assert rows[0][4] == "0.9740" and rows[3][-1] == "too many pairs"


@pytest.mark.integration
def test_identity_eval_meets_the_target_on_febrl1(tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    result = CliRunner().invoke(
        main,
        ["identity-eval", "--benchmarks", "febrl1", "--work-dir", str(tmp_path), "--json-out", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "febrl1" in result.output and "Splink reference" in result.output
    (report,) = json.loads(out.read_text())
    assert (report["records"], report["persons"]) == (1000, 500)
    crm, ref = report["crm360"], report["splink_reference"]
    # every record went through the list feed's contract into the map
    assert crm["records_evaluated"] == 1000 and crm["records_missing_from_map"] == 0
    assert crm["precision"] >= 0.99 and crm["f1"] >= 0.97, crm
    assert ref["records"] == 1000 and crm["f1"] >= ref["f1"], (crm, ref)
