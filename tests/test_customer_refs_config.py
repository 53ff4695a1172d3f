"""customer_ref patterns per feed: parsing, defaults shared with dbt, the settings that reach dbt,
and the guard that keeps two customer numbers of one feed apart."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from pipelines.config import load_settings
from pipelines.customer_refs import (
    DEFAULT_REF_PATTERNS,
    RefPatterns,
    classify_ref,
    parse_ref_patterns,
    ref_patterns_dbt_vars,
)
from pipelines.defs.resources import DbtResource
from pipelines.identity.graph import LOCAL_REF_MARK, greedy_split
from tests.dbt_helpers import DBT_PROJECT_DIR


def test_defaults_cover_todays_prefixes() -> None:
    for feed in ("pos", "callcenter"):
        assert classify_ref(feed, " acc-000123", DEFAULT_REF_PATTERNS) == ("account_id", "ACC-000123")
        assert classify_ref(feed, "LC-0001234", DEFAULT_REF_PATTERNS) == ("loyalty_card", "LC-0001234")
        assert classify_ref(feed, "100 234", DEFAULT_REF_PATTERNS) == ("local_ref", f"{feed}:100234")
        assert classify_ref(feed, "   ", DEFAULT_REF_PATTERNS) is None
        assert classify_ref(feed, None, DEFAULT_REF_PATTERNS) is None


def test_override_merges_over_defaults_per_feed_and_kind() -> None:
    patterns = parse_ref_patterns(json.dumps({"pos": {"account_id": "^[0-9]{6}$", "loyalty_card": None}}))
    assert patterns["pos"] == RefPatterns(account_id="^[0-9]{6}$", loyalty_card="")
    assert patterns["callcenter"] == RefPatterns()
    assert classify_ref("pos", "100234", patterns) == ("account_id", "100234")
    # no loyalty cards from this feed: LC-... is the shop's own number
    assert classify_ref("pos", "LC-1", patterns) == ("local_ref", "pos:LC-1")
    assert classify_ref("callcenter", "100234", patterns) == ("local_ref", "callcenter:100234")
    assert parse_ref_patterns("") == DEFAULT_REF_PATTERNS == parse_ref_patterns(None)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1]",
        '{"web": {"account_id": "^A"}}',
        '{"pos": {"card": "^A"}}',
        '{"pos": "^A"}',
        '{"pos": {"account_id": "("}}',
        '{"pos": {"account_id": 7}}',
    ],
)
def test_bad_override_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="CRM360_CUSTOMER_REF_PATTERNS|customer_ref pattern"):
        parse_ref_patterns(text)


def test_python_defaults_equal_dbt_project_defaults() -> None:
    """One source of truth: dbt_project.yml repeats the defaults for analysts running dbt by hand."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    assert {"customer_ref_patterns": project["vars"]["customer_ref_patterns"]} == ref_patterns_dbt_vars(
        DEFAULT_REF_PATTERNS
    )


def test_settings_reach_dbt_vars() -> None:
    env = {"CRM360_CUSTOMER_REF_PATTERNS": '{"callcenter": {"loyalty_card": "^[0-9]{10}$"}}'}
    settings = load_settings(data_dir=Path("/tmp/crm360-unused"), env=env)
    dbt = DbtResource(
        project_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(Path(sys.executable).parent / "dbt"),
        vars_json=DbtResource.settings_vars(settings),
    )
    sent = dbt.dbt_vars()["customer_ref_patterns"]
    assert sent["callcenter"] == {"account_id": "^ACC-", "loyalty_card": "^[0-9]{10}$"}
    assert sent["pos"] == {"account_id": "^ACC-", "loyalty_card": "^LC-"}


def test_pipeline_dbt_calls_carry_the_patterns() -> None:
    from pipelines.defs.assets.dbt import vars_args
    from pipelines.defs.kpi_resource import KpiResource

    patterns = parse_ref_patterns('{"pos": {"account_id": "^[0-9]{6}$"}}')
    dbt = DbtResource(
        project_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(Path(sys.executable).parent / "dbt"),
        vars_json=json.dumps(ref_patterns_dbt_vars(patterns)),
    )
    flag, value = vars_args(KpiResource(), dbt)
    sent = json.loads(value)
    assert flag == "--vars" and sent["customer_ref_patterns"]["pos"]["account_id"] == "^[0-9]{6}$"
    assert "churn_days" in sent  # the KPI vars still travel with them


def test_guard_refuses_two_numbers_of_one_feed_only() -> None:
    """Two customer numbers of one feed cannot be one person (like two account ids); a number of
    another feed, or an account id beside a number, can."""
    local = [(1, LOCAL_REF_MARK + "pos:1", None), (2, LOCAL_REF_MARK + "pos:2", None)]
    labels, cut = greedy_split(local, [(1, 2)])
    assert cut == [(1, 2)] and labels[1] != labels[2]
    mixed = [
        (1, LOCAL_REF_MARK + "pos:1", None),
        (2, LOCAL_REF_MARK + "callcenter:1", None),
        (3, "ACC-1", None),
    ]
    labels, cut = greedy_split(mixed, [(1, 2), (2, 3)])
    assert cut == [] and labels[1] == labels[2] == labels[3]
    accounts = [(1, "ACC-1", None), (2, "ACC-2", None)]
    assert greedy_split(accounts, [(1, 2)])[1] == [(1, 2)]
