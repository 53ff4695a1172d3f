"""The resident dbt process: runs each command a client sends with dbt's Python API, one at a time.

Started by the pipeline process (`ensure_running`) the first time a run calls dbt; it imports dbt
once and then serves every dbt step of the run, so each step skips Python and dbt start-up. It
exits when its owner process is gone or after an idle period. Each command runs with the
client's working directory and environment, as the `dbt` process it replaces would have, and its
output (dbt's JSON log lines) streams back over the socket.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path

from pipelines.defs.dbt_worker.protocol import END, log_path

IDLE_SECONDS = 900.0
OWNER_POLL_SECONDS = 1.0


def owner_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_warehouse() -> None:
    """Close every DuckDB database dbt-duckdb opened, so that the pipeline's next step can write.

    dbt-duckdb forgets its environment at the end of an invocation but leaves closing the file to
    the garbage collector; a `dbt` process ending closes it, a resident one must do it itself.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    for env in [*_opened, DuckDBConnectionManager._ENV]:
        if env is not None:
            env.close()
    _opened.clear()
    DuckDBConnectionManager._ENV = None  # the next invocation opens the file afresh
    gc.collect()


def _track_environments() -> None:
    from dbt.adapters.duckdb import environments

    create = environments.create

    def tracked(creds):  # type: ignore[no-untyped-def]
        env = create(creds)
        _opened.append(env)
        return env

    environments.create = tracked
    import dbt.adapters.duckdb.connections as connections

    connections.environments.create = tracked


_opened: list = []


def run_dbt(args: list[str]) -> int:
    """dbt's exit status for `args`: 0 success, 1 a node failed, 2 dbt could not run."""
    from dbt.cli.main import dbtRunner

    try:
        result = dbtRunner().invoke(args)
    except BaseException:
        traceback.print_exc()
        return 2
    finally:
        release_warehouse()
    if result.success:
        return 0
    if result.exception is not None:
        # what the dbt CLI prints when it cannot run (bad arguments, a parse error)
        print(f"dbt could not run: {type(result.exception).__name__}: {result.exception}")
        return 2
    return 1


def serve_one(conn: socket.socket) -> None:
    with conn, conn.makefile("rb") as requests, conn.makefile("w", encoding="utf-8", buffering=1) as out:
        request = json.loads(requests.readline())
        saved_cwd, saved_env = os.getcwd(), dict(os.environ)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                code = run_dbt(request["args"])
            out.write(f"{END}{code}\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client is gone (its step was cancelled): nothing to report to
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)


def serve(path: Path, owner: int, idle: float = IDLE_SECONDS) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    listener.bind(str(path))
    listener.listen()
    listener.settimeout(OWNER_POLL_SECONDS)
    last = time.monotonic()

    def watch_owner() -> None:
        # dbt may run for minutes: a run process killed meanwhile must not leave dbt writing
        while owner_alive(owner):
            time.sleep(OWNER_POLL_SECONDS)
        for leftover in (path, log_path(owner)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        os._exit(0)

    threading.Thread(target=watch_owner, daemon=True).start()
    try:
        while time.monotonic() - last < idle:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(None)
            serve_one(conn)
            last = time.monotonic()
    finally:
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def main() -> None:
    path, owner = Path(sys.argv[1]), int(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # unwind: the socket file is removed
    import dbt.cli.main  # noqa: F401  (imported once, before the socket opens for requests)

    _track_environments()
    with contextlib.suppress(SystemExit):
        serve(path, owner)
    # a clean stop leaves nothing behind; a crash keeps the log (stderr, from the launcher)
    log_path(owner).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
