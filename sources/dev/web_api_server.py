"""Reference web analytics API: a folder of web JSONL(.gz) files served page by page, with fault hooks."""

from __future__ import annotations

import argparse
import base64
import bisect
import gzip
import json
import logging
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

DEFAULT_PAGE_CAP = 5000  # the most events one page may carry, whatever `limit` asks
SHUTDOWN_JOIN_S = 5.0
POLL_INTERVAL_S = 0.05  # how soon serve_forever notices shutdown(); the stdlib default 0.5 s slows tests


def encode_cursor(file_name: str, line: int) -> str:
    """Opaque cursor: the position after physical line `line` of `file_name`."""
    raw = json.dumps([file_name, line], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int]:
    """Inverse of encode_cursor; ValueError for anything this server did not hand out."""
    try:
        name, line = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc
    if not isinstance(name, str) or not isinstance(line, int) or line < 0:
        raise ValueError(f"invalid cursor {cursor!r}")
    return name, line


def read_events(path: Path) -> tuple[list[int], list[Any]]:
    """(physical line numbers, parsed events) of one JSONL(.gz) file; unparsable lines are left out."""
    opener = gzip.open if path.name.endswith(".gz") else open
    lines: list[int] = []
    events: list[Any] = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for number, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                events.append(json.loads(text))
            except ValueError:
                log.warning("%s line %d is not JSON; not served", path, number)
                continue
            lines.append(number)
    return lines, events


class EventStore:
    """The events of a folder's top-level *.jsonl / *.jsonl.gz files in name order, re-read on change."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._cache: dict[str, tuple[tuple[int, int], list[int], list[Any]]] = {}
        self._lock = threading.Lock()

    def files(self) -> list[Path]:
        # Top level only: a pull into <folder>/api/ must not be served back. Hidden names are
        # files still being written (the loader skips them too).
        found = [
            p
            for p in self.folder.iterdir()
            if p.is_file() and p.name.endswith((".jsonl", ".jsonl.gz")) and not p.name.startswith((".", "_"))
        ]
        return sorted(found, key=lambda p: p.name)

    def _load(self, path: Path) -> tuple[list[int], list[Any]]:
        stat = path.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._cache.get(path.name)
            if cached is None or cached[0] != key:
                cached = (key, *read_events(path))
                self._cache[path.name] = cached
        return cached[1], cached[2]

    def page(self, cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
        """Up to `limit` events after `cursor`, and the cursor after them (None when nothing follows)."""
        start_name, start_line = decode_cursor(cursor) if cursor else ("", 0)
        taken: list[Any] = []
        last = (start_name, start_line)
        for path in self.files():
            if path.name < start_name:
                continue
            lines, events = self._load(path)
            first = bisect.bisect_right(lines, start_line) if path.name == start_name else 0
            for i in range(first, len(events)):
                if len(taken) == limit:
                    return taken, encode_cursor(*last)
                taken.append(events[i])
                last = (path.name, lines[i])
        return taken, None


@dataclass(frozen=True)
class Fault:
    kind: str  # "status" | "drop" | "garbage" | "delay"
    status: int = 503
    retry_after: str | None = None
    body: bytes = b""
    seconds: float = 0.0


class WebApiServer(ThreadingHTTPServer):
    """HTTP server with an event store, a page cap, a queue of injected faults and a request log."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], store: EventStore, page_cap: int) -> None:
        super().__init__(address, WebApiHandler)
        self.store = store
        self.page_cap = page_cap
        self.requests: list[str] = []  # request paths with query, in arrival order
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()

    def fail_next(self, n: int = 1, status: int = 503, retry_after: str | None = None) -> None:
        """Answer the next `n` requests with `status` (and a Retry-After header when given)."""
        self._push(n, Fault("status", status=status, retry_after=retry_after))

    def drop_next(self, n: int = 1) -> None:
        """Close the connection of the next `n` requests without answering."""
        self._push(n, Fault("drop"))

    def garbage_next(self, n: int = 1, body: bytes = b'{"events": [') -> None:
        """Answer the next `n` requests 200 with `body` as the payload."""
        self._push(n, Fault("garbage", body=body))

    def delay_next(self, n: int = 1, seconds: float = 1.0) -> None:
        """Hold the next `n` requests `seconds` before answering normally (to trip client timeouts)."""
        self._push(n, Fault("delay", seconds=seconds))

    def _push(self, n: int, fault: Fault) -> None:
        with self._lock:
            self._faults.extend([fault] * n)

    def take(self, path: str) -> Fault | None:
        with self._lock:
            self.requests.append(path)
            return self._faults.popleft() if self._faults else None

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("request from %s failed", client_address, exc_info=True)


class WebApiHandler(BaseHTTPRequestHandler):
    server: WebApiServer

    def do_GET(self) -> None:
        fault = self.server.take(self.path)
        if fault and fault.kind == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault and fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return self._send(fault.status, {"error": f"injected {fault.status}"}, headers)
        if fault and fault.kind == "garbage":
            return self._send_bytes(200, fault.body, {})
        if fault and fault.kind == "delay":
            time.sleep(fault.seconds)
        url = urlsplit(self.path)
        if url.path.rstrip("/") != "/events":
            return self._send(404, {"error": f"no such resource {url.path}"}, {})
        try:
            cursor, limit = self._query(url.query)
            events, next_cursor = self.server.store.page(cursor, limit)
        except ValueError as exc:
            return self._send(400, {"error": str(exc)}, {})
        self._send(200, {"events": events, "next_cursor": next_cursor}, {})

    def _query(self, query: str) -> tuple[str | None, int]:
        params = parse_qs(query, keep_blank_values=True)
        cursor = params.get("cursor", [None])[0]
        raw_limit = params.get("limit", [str(self.server.page_cap)])[0]
        if not raw_limit.isdigit() or int(raw_limit) < 1:
            raise ValueError(f"limit must be a positive integer, got {raw_limit!r}")
        return cursor or None, min(int(raw_limit), self.server.page_cap)

    def _send(self, status: int, doc: object, headers: dict[str, str]) -> None:
        self._send_bytes(status, json.dumps(doc, separators=(",", ":")).encode(), headers)

    def _send_bytes(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class Served(NamedTuple):
    """A running server: unpack as (server, thread, url), or use as a context manager that stops it."""

    server: WebApiServer
    thread: threading.Thread
    url: str

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(SHUTDOWN_JOIN_S)


def serve(folder: Path, host: str = "127.0.0.1", port: int = 0, page_cap: int = DEFAULT_PAGE_CAP) -> Served:
    """Start the API for `folder` in a background thread; port 0 picks a free one."""
    if not Path(folder).is_dir():
        raise FileNotFoundError(f"no such folder {folder}")
    server = WebApiServer((host, port), EventStore(Path(folder)), page_cap)
    thread = threading.Thread(
        target=server.serve_forever, args=(POLL_INTERVAL_S,), name="web-api-server", daemon=True
    )
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return Served(server, thread, f"http://{bound_host}:{bound_port}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path, help="folder of web *.jsonl / *.jsonl.gz files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--page-cap", type=int, default=DEFAULT_PAGE_CAP, help="most events per page")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    served = serve(args.folder, args.host, args.port, args.page_cap)
    print(f"serving {args.folder} at {served.url}/events (Ctrl-C to stop)", flush=True)
    try:
        while served.thread.is_alive():
            served.thread.join(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        served.close()


if __name__ == "__main__":
    main()
