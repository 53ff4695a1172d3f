"""Feed contracts: names the issue fixes, and raw tables that follow them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sources.contracts import CONTACT_COLUMN_NAMES
from sources.feeds import FEEDS, feed
from sources.ingest.schema import ensure_schema

LANDING = {
    "web": "web",
    "pos": "pos",
    "callcenter": "callcenter",
    "response_list": "lists/response",
    "compiled_list": "lists/compiled",
}

REQUIRED = {
    "web": {"event_id", "event_type", "occurred_at", "anonymous_id"},
    "pos": {
        "transaction_id",
        "line_number",
        "store_id",
        "transaction_at",
        "sku",
        "quantity",
        "unit_price",
        "amount",
    },
    "callcenter": {"interaction_id", "channel", "direction", "queue", "started_at", "ended_at", "abandoned"},
    "response_list": {"response_id", "campaign_id", "responded_at", "response_channel"},
    "compiled_list": {"record_id", "vendor", "list_id"},
}


@pytest.mark.parametrize("name", sorted(LANDING))
def test_landing_folders_and_required_columns(name: str) -> None:
    contract = feed(name)
    assert contract.landing_subdir == LANDING[name]
    assert {c.name for c in contract.required} == REQUIRED[name]


@pytest.mark.parametrize("name", sorted(LANDING))
def test_contact_columns_carry_the_exact_names(name: str) -> None:
    names = FEEDS[name].column_names
    assert set(CONTACT_COLUMN_NAMES) <= set(names)
    assert len(names) == len(set(names)), "a column appears twice"


def test_compiled_lists_carry_no_consent() -> None:
    assert not [c for c in FEEDS["compiled_list"].column_names if c.startswith("consent")]
    assert {f"consent_{ch}" for ch in ("email", "sms", "phone", "mail")} <= set(
        FEEDS["response_list"].column_names
    )


def test_allowed_values_follow_the_issue() -> None:
    assert FEEDS["pos"].column("return_reason").allowed == (
        "returns",
        "recall",
        "repair",
        "repackaging",
        "recycling",
    )
    assert FEEDS["pos"].column("channel").allowed == ("store", "online", "phone")
    assert FEEDS["callcenter"].column("channel").allowed == ("phone", "chat", "email")
    assert FEEDS["callcenter"].column("direction").allowed == ("inbound", "outbound")
    assert FEEDS["callcenter"].formats == ("csv", "jsonl")


def test_allowed_values_are_read_from_the_contracts_not_copied() -> None:
    """One definition per list: the simulator uses the contracts' own tuples (dbt's copies in staging and
    core are checked against them below)."""
    from sources.dev.simulator import returns as sim_returns
    from sources.dev.simulator import web as sim_web
    from sources.feeds.pos import RETURN_REASONS
    from sources.feeds.web import EVENT_TYPES

    assert FEEDS["pos"].column("return_reason").allowed is RETURN_REASONS
    assert FEEDS["web"].column("event_type").allowed is EVENT_TYPES
    assert sim_returns.REASONS is RETURN_REASONS
    assert sim_web.EVENTS is EVENT_TYPES
    # the simulator's codes name the types they stand for, whatever the contract's order
    assert EVENT_TYPES[sim_web.CART] == "add_to_cart" and EVENT_TYPES[sim_web.LOGOUT] == "logout"
    assert RETURN_REASONS[sim_returns.RECALL] == "recall"


def test_unknown_feed_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known feeds: web, pos"):
        feed("crm")


def test_raw_tables_have_contract_types_and_metadata() -> None:
    con = duckdb.connect()
    ensure_schema(con, list(FEEDS.values()))
    for contract in FEEDS.values():
        cols = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'raw' AND table_name = ?",
                [contract.name],
            ).fetchall()
        )
        for c in contract.columns:
            assert cols[c.name].replace(" ", "") == c.type.replace("TIMESTAMPTZ", "TIMESTAMPWITHTIMEZONE")
        assert {"_load_id", "_source_file", "_source_line", "_loaded_at", "_extra"} <= set(cols)


def _accepted_values(
    node: object, found: list[tuple[str, str, list]], path: str = "", column: str = ""
) -> None:
    """Every accepted_values test in a dbt yml tree, as (file/model, column, values)."""
    if isinstance(node, dict):
        column = node.get("name", column) if "data_tests" in node or "tests" in node else column
        for key, value in node.items():
            if key == "accepted_values" and isinstance(value, dict):
                values = (value.get("arguments") or value).get("values")
                found.append((path, column, values))
            else:
                _accepted_values(value, found, path, column)
    elif isinstance(node, list):
        for item in node:
            _accepted_values(item, found, path, column)


def test_dbt_accepted_values_of_a_contract_column_are_the_contracts() -> None:
    """A staging, core or mart column that carries a feed column's allowed values carries all of them,
    and no other: changing the list in the contract fails here until dbt's copy follows."""
    import yaml

    from sources.feeds import FEEDS

    allowed: dict[str, list[set[str]]] = {}  # a name like `channel` has other values in other feeds
    for contract in FEEDS.values():
        for c in contract.columns:
            if c.allowed:
                allowed.setdefault(c.name, []).append(set(c.allowed))
    models = Path(__file__).resolve().parent.parent / "dbt_project" / "models"
    found: list[tuple[str, str, list]] = []
    for yml in sorted(models.rglob("*.yml")):
        _accepted_values(yaml.safe_load(yml.read_text()), found, str(yml.relative_to(models)))
    # staging and core keep a feed column's name and meaning; marts rename (a mart's `channel` is the
    # campaign channel), so they are left out
    checked = [(p, c, v) for p, c, v in found if c in allowed and p.startswith(("staging/", "core/"))]
    assert any(c == "return_reason" and "core" in p for p, c, _ in checked)  # the walk finds them
    assert [(p, c, v) for p, c, v in checked if set(v) not in allowed[c]] == []
