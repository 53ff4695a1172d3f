"""Declared feeds: CRM360_FEEDS, never-delivered feeds, freshness rules, a missing landing folder."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines import cli
from pipelines.config import load_settings
from pipelines.feeds import (
    DEFAULT_FEED_RULES,
    NEVER_DELIVERED,
    FeedRule,
    LandingMissing,
    check_landing_dir,
    freshness_verdict,
    parse_feed_rules,
    rules_json,
)
from sources.feeds import FEEDS

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_every_feed_is_optional_by_default_and_operational_feeds_have_limits() -> None:
    rules = load_settings(env={}).feeds
    assert set(rules) == set(FEEDS)
    assert not any(rule.required for rule in rules.values())
    assert rules["pos"] == FeedRule("optional", 2, 7)
    assert rules["compiled_list"] == FeedRule("optional", None, None)


def test_crm360_feeds_declares_required_feeds_and_rules() -> None:
    env = {"CRM360_FEEDS": '{"pos": "required", "web": {"error_after_days": 3, "warn_after_days": null}}'}
    rules = load_settings(env=env).feeds
    assert rules["pos"] == FeedRule("required", 2, 7)
    assert rules["web"] == FeedRule("optional", None, 3)
    assert rules["callcenter"] == DEFAULT_FEED_RULES["callcenter"]
    assert parse_feed_rules(rules_json(rules)) == rules


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"posx": "required"}', "known feeds: web, pos"),
        ('{"pos": "mandatory"}', "'required' or 'optional'"),
        ('{"pos": {"error_after": 3}}', "error_after_days"),
        ("pos=required", "not JSON"),
    ],
)
def test_a_wrong_declaration_is_refused_with_the_valid_choices(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_feed_rules(text)


def test_never_delivered_is_a_warning_unless_the_feed_is_required() -> None:
    optional = freshness_verdict("pos", FeedRule("optional", 2, 7), None, NOW)
    assert (optional.status, optional.severity, optional.passed) == (NEVER_DELIVERED, "warn", False)
    assert "never delivered" in optional.message
    required = freshness_verdict("pos", FeedRule("required", 2, 7), None, NOW)
    assert (required.status, required.severity) == (NEVER_DELIVERED, "error")


def test_freshness_follows_the_declared_limits() -> None:
    rule = FeedRule("optional", 2, 7)
    assert freshness_verdict("pos", rule, NOW - timedelta(hours=5), NOW).passed
    late = freshness_verdict("pos", rule, NOW - timedelta(days=3), NOW)
    assert (late.status, late.severity, late.passed) == ("warn", "warn", False)
    stale = freshness_verdict("pos", rule, NOW - timedelta(days=10), NOW)
    assert (stale.status, stale.severity) == ("error", "error")
    assert freshness_verdict("x", FeedRule(), NOW - timedelta(days=400), NOW).passed


def test_a_missing_landing_folder_is_refused_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(LandingMissing, match="does not exist"):
        check_landing_dir(tmp_path / "typo" / "landing")
    started = time.perf_counter()
    result = CliRunner().invoke(cli.main, ["run", "--data-dir", str(tmp_path / "typo")])
    assert result.exit_code == 2, result.output
    assert "landing folder" in result.output and "does not exist" in result.output
    assert time.perf_counter() - started < 15
    assert not (tmp_path / "typo" / "warehouse").exists()


def test_sources_yml_has_no_freshness_of_its_own() -> None:
    """One source of truth: freshness limits live in configuration, not in dbt's _sources.yml."""
    import yaml

    from pipelines.config import DBT_PROJECT_DIR

    raw = yaml.safe_load((DBT_PROJECT_DIR / "models/staging/_sources.yml").read_text())["sources"][0]
    assert "freshness" not in (raw.get("config") or {})
    assert all("freshness" not in (t.get("config") or {}) for t in raw["tables"])


@pytest.mark.integration
def test_a_lists_only_deployment_runs_green(tmp_path: Path) -> None:
    """Only compiled and response lists delivered: the other feeds warn 'never delivered', all builds."""
    import duckdb

    from pipelines.defs.runner import run_pipeline
    from sources.contracts_doc import example_file

    for name in ("compiled_list", "response_list"):
        folder = tmp_path / "landing" / FEEDS[name].landing_subdir
        folder.mkdir(parents=True)
        (folder / f"{name}_example.csv").write_text(example_file(FEEDS[name], "csv"))
    settings = load_settings(data_dir=tmp_path, env={})
    summary = run_pipeline(settings)
    assert summary.success, summary.failures
    assert summary.exit_code == 0
    assert summary.failed_checks == []
    assert {"core.dim_customer", "marts.customer_360"} <= summary.materialized
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "SELECT asset, severity, json_extract_string(sample, '$.status') FROM audit.check_results "
            "WHERE run_id = ? AND check_name LIKE 'source_freshness:%' AND NOT passed ORDER BY asset",
            [summary.run_id],
        ).fetchall()
        customers = con.execute("SELECT count(*) FROM marts.customer_360").fetchone()[0]
    silent = sorted(("web", "pos", "callcenter", "campaign_audience", "pos_order_events"))
    assert rows == [(f"raw.{f}", "warn", NEVER_DELIVERED) for f in silent]
    assert customers > 0


@pytest.mark.integration
def test_a_required_feed_that_never_delivered_fails_the_run(tmp_path: Path) -> None:
    from pipelines.defs.runner import run_pipeline

    (tmp_path / "landing").mkdir()
    settings = load_settings(data_dir=tmp_path, env={"CRM360_FEEDS": '{"pos": "required"}'})
    summary = run_pipeline(settings, selection="group:raw")
    assert not summary.success and summary.exit_code == 1
    assert [line for line in summary.failed_checks if "raw.pos" in line] == [
        "source_freshness:raw.pos on raw.pos: raw.pos: never delivered (required by CRM360_FEEDS: an error)"
    ]
    assert not [line for line in summary.failed_checks if "raw.web" in line]  # optional: a warning
