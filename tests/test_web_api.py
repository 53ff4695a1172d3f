"""Web API connector against the reference server over real HTTP on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from sources.connectors import web_api
from sources.connectors.web_api import API_SUBDIR, WebApiError, pull_web_events
from sources.dev.web_api_server import Served, WebApiServer, serve

pytestmark = pytest.mark.timeout(60)

MAX_PAGES = 100  # every pull in these tests needs far fewer; a runaway loop stops here


def make_events(start: int, n: int) -> list[dict]:
    return [
        {
            "event_id": f"e-{i:06d}",
            "event_type": "page_view",
            "occurred_at": f"2026-03-01T09:{i // 60 % 60:02d}:{i % 60:02d}+00:00",
            "anonymous_id": f"a-{i % 7}",
            "email": "Zoë@example.com" if i % 5 == 0 else None,
            "x_unknown_field": {
                "nested": [i]
            },  # the loader keeps it in _extra; the connector must not drop it
        }
        for i in range(start, start + n)
    ]


def write_jsonl(path: Path, events: list[dict]) -> None:
    text = "".join(json.dumps(e) + "\n" for e in events)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text + "\n", encoding="utf-8")  # a trailing blank line is skipped, not an event


@pytest.fixture
def events_folder(tmp_path: Path) -> tuple[Path, list[dict]]:
    folder = tmp_path / "source"
    folder.mkdir()
    events = make_events(0, 23)
    write_jsonl(folder / "web_2026-03-01.jsonl", events[:10])
    write_jsonl(folder / "web_2026-03-02.jsonl.gz", events[10:13])
    write_jsonl(folder / "web_2026-03-03.jsonl", events[13:])
    return folder, events


@pytest.fixture
def api(events_folder: tuple[Path, list[dict]]) -> Iterator[Served]:
    with serve(events_folder[0]) as served:
        yield served


def landed(landing: Path) -> list[dict]:
    """Every landed event, ordered by event_id (file names are hashes, so file order means nothing)."""
    out: list[dict] = []
    for path in (landing / API_SUBDIR).glob("*.jsonl.gz"):
        out += [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode().splitlines()]
    return sorted(out, key=lambda e: e["event_id"])


def cursors_asked(server: WebApiServer) -> list[str | None]:
    return [parse_qs(urlsplit(p).query).get("cursor", [None])[0] for p in server.requests]


def pull(url: str, tmp_path: Path, **kwargs: object) -> web_api.PullResult:
    kwargs.setdefault("max_pages", MAX_PAGES)
    kwargs.setdefault("sleep", lambda s: None)
    return pull_web_events(url, tmp_path / "landing", tmp_path / "state.json", **kwargs)  # type: ignore[arg-type]


def test_all_events_arrive_once_across_pages(api: Served, events_folder, tmp_path: Path) -> None:
    result = pull(api.url, tmp_path, page_size=5)
    assert landed(tmp_path / "landing") == events_folder[1]  # unchanged, none twice, none lost
    assert (result.pages_fetched, result.pages_written, result.events) == (5, 5, 23)
    assert result.exhausted and result.bytes_fetched > 0
    assert all(p.name.startswith("web_api_") and p.name.endswith(".jsonl.gz") for p in result.files)
    assert not list((tmp_path / "landing" / API_SUBDIR).glob(".*"))  # no temp files left behind
    assert "cursor" not in api.server.requests[0]
    assert cursors_asked(api.server)[0] is None


def test_server_page_cap_wins_over_limit(events_folder, tmp_path: Path) -> None:
    with serve(events_folder[0], page_cap=4) as served:
        result = pull(served.url, tmp_path, page_size=1000)
    assert result.pages_written == 6
    assert landed(tmp_path / "landing") == events_folder[1]


def test_resume_after_interruption_fetches_nothing_twice(api: Served, events_folder, tmp_path: Path) -> None:
    first = pull(api.url, tmp_path, page_size=5, max_pages=2)
    assert (first.events, first.exhausted) == (10, False)
    assert json.loads((tmp_path / "state.json").read_text())["cursor"] == first.position.cursor
    second = pull(api.url, tmp_path, page_size=5)
    assert (second.events, second.exhausted) == (13, True)
    asked = cursors_asked(api.server)
    assert len(asked) == len(set(asked)) == 5
    assert landed(tmp_path / "landing") == events_folder[1]


def test_crash_between_page_and_cursor_rewrites_same_file(
    api: Served, events_folder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(state_path: Path, position: web_api.Position) -> None:
        raise OSError("disk gone")

    with monkeypatch.context() as m:
        m.setattr(web_api, "save_state", crash)
        with pytest.raises(OSError):
            pull(api.url, tmp_path, page_size=5)
    before = {p.name: p.read_bytes() for p in (tmp_path / "landing" / API_SUBDIR).iterdir()}
    assert len(before) == 1 and not (tmp_path / "state.json").exists()
    pull(api.url, tmp_path, page_size=5)
    after = {p.name: p.read_bytes() for p in (tmp_path / "landing" / API_SUBDIR).iterdir()}
    assert {k: after[k] for k in before} == before  # same name, same bytes: the content ledger skips it
    assert landed(tmp_path / "landing") == events_folder[1]


def test_growing_tail_lands_only_new_events(api: Served, events_folder, tmp_path: Path) -> None:
    pull(api.url, tmp_path, page_size=5)
    assert pull(api.url, tmp_path, page_size=5).events == 0  # nothing new: no file written
    more = make_events(23, 4)
    write_jsonl(events_folder[0] / "web_2026-03-04.jsonl", more)
    result = pull(api.url, tmp_path, page_size=5)
    assert result.events == 4
    assert landed(tmp_path / "landing") == events_folder[1] + more
    # 5 pages, then the 2 new events of the old last page (past its 3 landed ones), then 2 more
    assert len(result.files) == 2 and len(list((tmp_path / "landing" / API_SUBDIR).iterdir())) == 7


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_transient_5xx_is_retried_with_backoff(
    api: Served, events_folder, tmp_path: Path, status: int
) -> None:
    api.server.fail_next(3, status=status)
    waits: list[float] = []
    result = pull(api.url, tmp_path, page_size=50, sleep=waits.append, backoff_base=0.25)
    assert waits == [0.25, 0.5, 1.0]
    assert result.events == 23 and len(api.server.requests) == 4


def test_429_honours_retry_after(api: Served, events_folder, tmp_path: Path) -> None:
    api.server.fail_next(1, status=429, retry_after="7")
    waits: list[float] = []
    result = pull(api.url, tmp_path, page_size=50, sleep=waits.append)
    assert waits == [7.0]
    assert result.events == 23


def test_dropped_connection_and_timeout_are_retried(api: Served, events_folder, tmp_path: Path) -> None:
    api.server.drop_next(1)
    api.server.delay_next(1, seconds=1.0)
    waits: list[float] = []
    result = pull(api.url, tmp_path, page_size=50, timeout=0.3, sleep=waits.append)
    assert len(waits) == 2
    assert landed(tmp_path / "landing") == events_folder[1]
    assert result.exhausted


def test_retries_exhausted_raises(api: Served, tmp_path: Path) -> None:
    api.server.fail_next(10, status=503)
    with pytest.raises(WebApiError, match=r"gave up after 3 attempts.*HTTP 503") as err:
        pull(api.url, tmp_path, max_retries=2)
    assert err.value.status == 503 and err.value.url.startswith(api.url)
    assert len(api.server.requests) == 3


def test_404_raises_clear_error_without_retry(api: Served, tmp_path: Path) -> None:
    with pytest.raises(WebApiError, match="HTTP 404") as err:
        pull(api.url + "/no-such-api", tmp_path)
    assert err.value.status == 404
    assert "/no-such-api/events?limit=" in str(err.value) and "cursor None" in str(err.value)
    assert len(api.server.requests) == 1
    assert not (tmp_path / "landing").exists()


def test_4xx_names_cursor_it_failed_on(api: Served, tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text(json.dumps({"cursor": "not-a-cursor", "skip": 0}))
    with pytest.raises(WebApiError, match="HTTP 400.*invalid cursor") as err:
        pull(api.url, tmp_path)
    assert err.value.cursor == "not-a-cursor" and "'not-a-cursor'" in str(err.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"events": [', "not JSON"),
        (b'{"events": 3, "next_cursor": null}', "is not"),
        (b'{"events": []}', "is not"),
        (b'{"events": [], "next_cursor": 5}', "next_cursor must be"),
    ],
)
def test_malformed_body_raises(api: Served, tmp_path: Path, body: bytes, message: str) -> None:
    api.server.garbage_next(1, body=body)
    with pytest.raises(WebApiError, match=message) as err:
        pull(api.url, tmp_path)
    assert err.value.url.startswith(api.url + "/events")
    assert not (tmp_path / "state.json").exists()


def test_empty_api_produces_no_files(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    with serve(folder) as served:
        result = pull(served.url, tmp_path)
    assert (result.pages_fetched, result.events, result.exhausted) == (1, 0, True)
    assert not (tmp_path / "landing").exists()


def test_non_http_url_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(WebApiError, match="http"):
        pull("ftp://example.com", tmp_path)


def test_landing_resource_carries_the_configured_api(api: Served, events_folder, tmp_path: Path) -> None:
    from pipelines.config import load_settings
    from pipelines.defs.resources import LandingResource

    settings = load_settings(tmp_path / "data", env={"CRM360_WEB_API_URL": api.url})
    landing = LandingResource.from_settings(settings)
    assert landing.web_api_url == api.url
    result = pull_web_events(
        landing.web_api_url,
        Path(landing.landing_dir),
        Path(landing.state_dir) / "web_api_cursor.json",
        page_size=landing.web_api_page_size,
        max_pages=MAX_PAGES,
    )
    assert result.events == 23
    assert landed(settings.landing_dir) == events_folder[1]
    assert LandingResource.from_settings(load_settings(tmp_path / "data", env={})).web_api_url is None
