"""The `dbt` that dagster-dbt starts: hands its command line to the run's resident dbt process.

Standard library only, so it starts in tens of milliseconds. The resident process belongs to the
pipeline process that started this client (our parent, through the `dbt` shell script's exec).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time

from pipelines.defs.dbt_worker.protocol import END, socket_path

CONNECT_SECONDS = 120.0  # the resident process imports dbt first (a few seconds, more on a busy machine)


def connect(path: str) -> socket.socket:
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = str(socket_path(os.getppid()))
    try:
        sock = connect(path)
    except OSError as exc:
        print(f"crm360 dbt client: no resident dbt process at {path}: {exc}", file=sys.stderr)
        return 2
    request = {"args": args, "cwd": os.getcwd(), "env": dict(os.environ)}
    with sock, sock.makefile("rb") as replies:
        sock.sendall(json.dumps(request).encode() + b"\n")
        for raw in replies:
            line = raw.decode("utf-8", errors="replace")
            if line.startswith(END):
                return int(line[len(END) :])
            sys.stdout.write(line)
            sys.stdout.flush()
    print("crm360 dbt client: the resident dbt process ended without an exit status", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
