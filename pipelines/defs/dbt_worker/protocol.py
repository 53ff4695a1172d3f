"""What the dbt client and the resident dbt process share: where the socket is and how a reply ends."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# The last line of a reply: this marker, then the exit status. dbt's own output is JSON lines
# (--log-format json) or text; neither starts with a NUL byte.
END = "\0exit "


def socket_path(owner_pid: int) -> Path:
    """The socket of the resident dbt process of the pipeline process `owner_pid`.

    Under the system's temporary directory, not the data directory: a Unix socket path is limited
    to 107 bytes, and a deep data directory would exceed it.
    """
    return Path(tempfile.gettempdir()) / f"crm360-dbt-{os.getuid()}-{owner_pid}.sock"


def log_path(owner_pid: int) -> Path:
    """Where the resident process writes what happens outside a request (start, stop, errors)."""
    return socket_path(owner_pid).with_suffix(".log")
