"""Pull web events from the web analytics HTTP API into landing/web/api/, one gzipped JSONL file per page."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

log = logging.getLogger(__name__)

# The settings of the connector; pipelines/config.py reads them and docs/sources.md describes them.
URL_ENV = (
    "CRM360_WEB_API_URL",
    "Base URL of the web analytics API; when set, web events are also pulled from it.",
)
PAGE_SIZE = 5000  # events asked per page unless CRM360_WEB_API_PAGE_SIZE says otherwise
PAGE_SIZE_ENV = ("CRM360_WEB_API_PAGE_SIZE", "Events per page asked of the web API.")  # default: PAGE_SIZE

API_SUBDIR = Path("web") / "api"  # under the landing root: the web feed's loader picks the pages up there
FILE_PREFIX = "web_api_"
STATE_FILE = Path("state") / "web_api_cursor.json"  # under the data directory
BACKOFF_CAP_S = 60.0  # 0.5 s doubling reaches the cap after 7 retries
RETRY_AFTER_CAP_S = 300.0  # a server asking for more than 5 minutes is treated as asking for 5
ERROR_BODY_CHARS = 200  # enough of an error body to tell what went wrong, short enough for a log line


class WebApiError(RuntimeError):
    """The web API answered something the connector cannot use, or kept failing after all retries."""

    def __init__(self, message: str, url: str, cursor: str | None, status: int | None = None) -> None:
        super().__init__(f"{message} [GET {url}, cursor {cursor!r}, status {status}]")
        self.url = url
        self.cursor = cursor
        self.status = status


@dataclass(frozen=True)
class Position:
    """Where the next request starts: the page cursor, and how many of its events are already landed.

    `skip` is only non-zero after the last page (next_cursor null): the next call asks for that page
    again and lands just the events that arrived since, so a growing tail is never landed twice.
    """

    cursor: str | None = None
    skip: int = 0


@dataclass(frozen=True)
class PullResult:
    pages_fetched: int
    pages_written: int
    events: int  # events landed by this call
    bytes_fetched: int  # HTTP response bodies, uncompressed
    files: tuple[Path, ...]
    position: Position  # where the next call resumes
    exhausted: bool  # the API said there is nothing more (next_cursor null)


def events_url(base_url: str, cursor: str | None, limit: int) -> str:
    """The page URL; the very first request carries no cursor."""
    query = {"limit": str(limit)} if cursor is None else {"cursor": cursor, "limit": str(limit)}
    return f"{base_url.rstrip('/')}/events?{urllib.parse.urlencode(query)}"


def page_file_name(position: Position) -> str:
    """File name of the page starting at `position`: the same position always lands under one name."""
    key = (position.cursor or "") + (f"#{position.skip}" if position.skip else "")
    return f"{FILE_PREFIX}{hashlib.sha1(key.encode()).hexdigest()}.jsonl.gz"


def encode_page(events: list[object]) -> bytes:
    """Gzipped JSON lines; mtime 0 and no file name in the gzip header so equal pages give equal bytes."""
    text = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events)
    return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)


def parse_page(body: bytes, url: str, cursor: str | None) -> tuple[list[object], str | None]:
    """Return (events, next_cursor) of a response body, or raise WebApiError if it is malformed."""
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebApiError(
            f"response is not JSON ({exc}); body starts {body[:80]!r}", url, cursor, 200
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("events"), list) or "next_cursor" not in doc:
        shape = sorted(doc) if isinstance(doc, dict) else type(doc).__name__
        raise WebApiError(
            f'response is not {{"events": [...], "next_cursor": ...}} (got {shape})', url, cursor, 200
        )
    next_cursor = doc["next_cursor"]
    if next_cursor is not None and (not isinstance(next_cursor, str) or not next_cursor):
        raise WebApiError(
            f"next_cursor must be a non-empty string or null, got {next_cursor!r}", url, cursor, 200
        )
    return doc["events"], next_cursor


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds asked by a Retry-After header (delta-seconds or HTTP date), capped; None if absent/unusable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_S)


def error_detail(exc: urllib.error.HTTPError) -> str:
    """The start of an error response's body; empty when the body cannot be read."""
    try:
        return exc.read()[:ERROR_BODY_CHARS].decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return ""
    finally:
        exc.close()


def fetch(
    url: str,
    cursor: str | None,
    timeout: float,
    max_retries: int,
    backoff_base: float,
    sleep: Callable[[float], None],
) -> bytes:
    """GET `url`, retrying connection errors, timeouts, 429 and 5xx with exponential backoff."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    for attempt in range(max_retries + 1):
        wait: float | None = None
        status: int | None = None
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            detail = error_detail(exc)
            if status != 429 and status < 500:
                raise WebApiError(f"HTTP {status}: {detail or exc.reason}", url, cursor, status) from exc
            problem = f"HTTP {status}"
            wait = retry_after_seconds(exc.headers.get("Retry-After"))
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out, truncated
            problem = f"{type(exc).__name__}: {exc}"
        if attempt == max_retries:
            raise WebApiError(f"gave up after {attempt + 1} attempts, last: {problem}", url, cursor, status)
        delay = wait if wait is not None else min(BACKOFF_CAP_S, backoff_base * 2**attempt)
        log.warning(
            "web API %s (attempt %d/%d), retrying in %.1fs: %s",
            url,
            attempt + 1,
            max_retries + 1,
            delay,
            problem,
        )
        sleep(delay)
    raise AssertionError("unreachable")


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a hidden temp name, fsync, rename over `path`, fsync the folder: all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Dot prefix and .tmp suffix: no loader glob for *.jsonl.gz sees a half-written file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; a no-op where folders cannot be opened)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_state(state_path: Path) -> Position:
    """The saved position, or the start of the stream when there is no state file yet."""
    if not state_path.exists():
        return Position()
    try:
        doc = json.loads(state_path.read_text(encoding="utf-8"))
        return Position(cursor=doc["cursor"], skip=int(doc.get("skip", 0)))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"web API state file {state_path} is unreadable ({exc}); fix or delete it") from exc


def save_state(state_path: Path, position: Position) -> None:
    """Persist the resume position atomically."""
    doc = {"cursor": position.cursor, "skip": position.skip}
    write_atomic(state_path, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))


def next_position(position: Position, page_events: int, next_cursor: str | None) -> Position:
    """Where to resume after a page: the next cursor, or the same page past what is already landed."""
    if next_cursor is not None:
        return Position(next_cursor)
    return Position(position.cursor, max(position.skip, page_events))


def pull_web_events(
    base_url: str,
    landing_dir: Path,
    state_path: Path,
    page_size: int = PAGE_SIZE,
    timeout: float = 30,
    max_retries: int = 4,
    *,
    max_pages: int | None = None,
    backoff_base: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> PullResult:
    """Land every event the API has past the saved cursor; stop early after `max_pages` requests.

    Each page is durably written before the cursor moves past it, so a crash in between fetches the
    page again under the same name with the same bytes, and the loader's content ledger skips it.
    """
    if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
        raise WebApiError("base URL must be http:// or https://", base_url, None)
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    out_dir = Path(landing_dir) / API_SUBDIR
    position = load_state(Path(state_path))
    fetched = written = events = nbytes = 0
    files: list[Path] = []
    exhausted = False
    while max_pages is None or fetched < max_pages:
        url = events_url(base_url, position.cursor, page_size)
        body = fetch(url, position.cursor, timeout, max_retries, backoff_base, sleep)
        fetched += 1
        nbytes += len(body)
        page, next_cursor = parse_page(body, url, position.cursor)
        if next_cursor is not None and next_cursor == position.cursor:
            raise WebApiError(
                "next_cursor equals the cursor asked for; the API would loop", url, position.cursor, 200
            )
        new = page[position.skip :]
        if new:
            path = out_dir / page_file_name(position)
            write_atomic(path, encode_page(new))
            written += 1
            events += len(new)
            files.append(path)
        following = next_position(position, len(page), next_cursor)
        if following != position:
            save_state(Path(state_path), following)
        position = following
        if next_cursor is None:
            exhausted = True
            break
    result = PullResult(fetched, written, events, nbytes, tuple(files), position, exhausted)
    log.info(
        "web API %s: %d pages fetched, %d written, %d events, %d bytes%s",
        base_url,
        fetched,
        written,
        events,
        nbytes,
        "" if exhausted else " (stopped early, more to fetch)",
    )
    return result
