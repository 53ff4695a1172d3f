"""Keyed pseudonyms (HMAC-SHA-256) in Python and as DuckDB SQL, and the key they are made with.

A plain hash of an e-mail address or phone number is reversible by dictionary; a keyed hash is
not without the key. The key comes from configuration (CRM360_PSEUDONYM_KEY, or the key file
CRM360_PSEUDONYM_KEY_FILE) and never enters the warehouse: the SQL form embeds the padded keys as
literals in the query text only, so it must not be stored in a view or table of the warehouse file
(the loader's views live in the in-memory `scratch` database).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
import tempfile
from pathlib import Path

from sources.lib.sqltext import lit

log = logging.getLogger(__name__)

BLOCK_SIZE = 64  # SHA-256's block size in bytes (RFC 2104's B)
MIN_KEY_CHARS = 16  # a key given as a setting must be at least this long
KEY_BYTES = 32  # random bytes of a generated key file (hex-encoded in the file)
KEY_ID_MESSAGE = "crm360 key id"
PSEUDONYM_KEY_ENV = "CRM360_PSEUDONYM_KEY"  # documented in pipelines/config_vars.py


def pseudonym(key: bytes, text: str) -> str:
    """The hex HMAC-SHA-256 of `text`'s UTF-8 bytes under `key`."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """A short fingerprint of the key (16 hex): a changed key is detectable, the key not recoverable."""
    return pseudonym(key, KEY_ID_MESSAGE)[:16]


def padded_keys(key: bytes) -> tuple[bytes, bytes]:
    """HMAC's inner and outer keys: K0 xor ipad, K0 xor opad (K0 = key, hashed if over a block, padded)."""
    k0 = hashlib.sha256(key).digest() if len(key) > BLOCK_SIZE else key
    k0 = k0.ljust(BLOCK_SIZE, b"\x00")
    return bytes(b ^ 0x36 for b in k0), bytes(b ^ 0x5C for b in k0)


def pseudonym_sql(expression: str, key: bytes) -> str:
    """DuckDB SQL for the hex HMAC-SHA-256 of a VARCHAR expression (NULL stays NULL), equal to
    pseudonym(key, value): H((K0 ^ opad) || H((K0 ^ ipad) || m)), vectorized in SQL.

    The query text holds key material: never store it in a view or table of the warehouse.
    """
    inner, outer = padded_keys(key)
    inner_hash = f"unhex(sha256(unhex({lit(inner.hex())}) || encode({expression})))"
    return f"sha256(unhex({lit(outer.hex())}) || {inner_hash})"


def without_query(message: str) -> str:
    """A DuckDB error message without its excerpt of the query (`LINE n: ...`), and with any run
    of 32 or more hex digits (a key, a pseudonym) replaced by `<redacted>`."""
    head = re.split(r"\n\s*LINE \d+:", message, maxsplit=1)[0].rstrip()
    return re.sub(r"[0-9A-Fa-f]{32,}", "<redacted>", head)


def key_from_text(value: str, source: str) -> bytes:
    """A key's bytes from its configured text (UTF-8, surrounding space removed); too short: ValueError."""
    text = value.strip()
    if len(text) < MIN_KEY_CHARS:
        raise ValueError(
            f"{source}: the pseudonym key must be at least {MIN_KEY_CHARS} characters "
            f"(got {len(text)}); a short key makes pseudonyms guessable"
        )
    return text.encode("utf-8")


def write_key_file(key_file: Path) -> None:
    """Create `key_file` (and its folders) with 32 random bytes, hex, mode 0600, atomically.

    An existing file is never replaced: a second process creating it at the same time loses the
    race and reads the winner's key.
    """
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=key_file.parent, prefix=".pseudonym-", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(KEY_BYTES) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.link(tmp, key_file)  # fails if the file appeared meanwhile: the first key wins
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links: a rename (a racing creator may lose its key)
        if not key_file.exists():
            os.replace(tmp, key_file)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def check_key_file_mode(key_file: Path) -> None:
    """Refuse a key file that group or others may read or write: the key would not be secret."""
    mode = stat.S_IMODE(key_file.stat().st_mode)
    if mode & 0o077:
        raise PermissionError(
            f"{key_file}: the pseudonym key file is accessible to group or others (mode {mode:o}); "
            f"run `chmod 600 {key_file}`"
        )


def load_key(value: str | None, key_file: Path) -> bytes:
    """The pseudonym key: the setting's value when given (at least 16 characters), else key_file's
    content, creating the file with a random key the first time.

    The key is the text's UTF-8 bytes, surrounding white space removed, for the setting and the file
    alike (a generated file holds 64 hex characters: those characters are the key). A key file that
    group or others may read or write is refused (PermissionError), not just warned about.
    """
    if value is not None and value.strip():
        return key_from_text(value, PSEUDONYM_KEY_ENV)
    if not key_file.exists():
        write_key_file(key_file)
        log.info("created a new pseudonym key file %s", key_file)
    check_key_file_mode(key_file)
    return key_from_text(key_file.read_text(encoding="utf-8"), str(key_file))
