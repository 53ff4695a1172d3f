"""docs/sources.md matches the feed contracts, and its example files load as the contracts say."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from sources.contracts import CONTACT_COLUMN_NAMES, FeedContract
from sources.contracts_doc import example_file, render_sources_markdown
from sources.feeds import FEEDS

DOC = Path(__file__).resolve().parent.parent / "docs" / "sources.md"
EXAMPLES = [(c, fmt) for c in FEEDS.values() for fmt in c.formats]


@pytest.fixture(scope="module")
def rendered() -> str:
    return render_sources_markdown()


def section(markdown: str, feed: str) -> str:
    match = re.search(rf"^### {re.escape(feed)}\n(.*?)(?=^### |\Z)", markdown, re.S | re.M)
    assert match, f"no section for feed {feed}"
    return match.group(1)


def test_committed_doc_is_current(rendered: str) -> None:
    assert DOC.read_text(encoding="utf-8") == rendered, (
        "docs/sources.md is stale: run `python -m sources.contracts_doc > docs/sources.md`"
    )


def test_intro_names_every_landing_folder_and_rule(rendered: str) -> None:
    intro = rendered.split("## Feeds")[0]
    for folder in ("web", "pos", "callcenter", "lists/response", "lists/compiled", "lists/audience"):
        assert f"`landing/{folder}/`" in intro
    assert ", ".join(f"`{n}`" for n in CONTACT_COLUMN_NAMES) in intro
    for phrase in (
        "RFC 4180",
        "`_extra`",
        "`audit.quarantine`",
        "exactly once",
        "CRM360_WEB_API_URL",
        "/events?",
    ):
        assert phrase in intro


@pytest.mark.parametrize("contract", FEEDS.values(), ids=list(FEEDS))
def test_every_feed_and_column_is_documented(rendered: str, contract: FeedContract) -> None:
    text = section(rendered, contract.name)
    assert f"`landing/{contract.landing_subdir}/`" in text
    assert contract.description in text
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert [row.split("|")[1].strip(" `") for row in rows] == list(contract.column_names)
    for column, row in zip(contract.columns, rows, strict=True):
        assert (" yes " in row) == column.required
        assert all(f"`{value}`" in row for value in column.allowed or ())


@pytest.mark.parametrize(("contract", "fmt"), EXAMPLES, ids=[f"{c.name}-{f}" for c, f in EXAMPLES])
def test_example_file_loads_into_contract_columns(
    rendered: str, tmp_path: Path, contract: FeedContract, fmt: str
) -> None:
    example = example_file(contract, fmt)
    fence = "csv" if fmt == "csv" else "json"
    assert f"```{fence}\n{example}```" in section(rendered, contract.name)
    path = tmp_path / f"example.{fmt}"
    path.write_text(example, encoding="utf-8")
    types = {c.name: c.type for c in contract.columns}
    con = duckdb.connect()
    if fmt == "csv":
        detected = con.sql(f"SELECT * FROM read_csv('{path}', header = true, all_varchar = true)")
        typed = con.sql(f"SELECT * FROM read_csv('{path}', header = true, columns = {types!r})")
    else:
        detected = con.sql(f"SELECT * FROM read_json('{path}', format = 'newline_delimited')")
        typed = con.sql(
            f"SELECT * FROM read_json('{path}', format = 'newline_delimited', columns = {types!r})"
        )
    assert detected.columns == list(contract.column_names)
    rows = typed.fetchall()  # every value casts to its contract type, or DuckDB raises
    assert len(rows) == 2
    for key in contract.record_id:
        assert rows[0][typed.columns.index(key)] is not None
    assert len({tuple(r[typed.columns.index(k)] for k in contract.record_id) for r in rows}) == 2
    required = [typed.columns.index(c.name) for c in contract.required]
    assert all(r[i] is not None for r in rows for i in required)


def test_configuration_doc_is_current() -> None:
    from pipelines.config import ENV_VARS
    from pipelines.config_doc import render_configuration_markdown

    doc = DOC.parent / "configuration.md"
    rendered = render_configuration_markdown()
    assert doc.read_text(encoding="utf-8") == rendered, (
        "docs/configuration.md is stale: run `python -m pipelines.config_doc > docs/configuration.md`"
    )
    for var, _ in ENV_VARS.values():
        assert f"`{var}`" in rendered
