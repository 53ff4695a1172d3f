"""Dagster's SQLite event log with one pooled engine per shard and WAL commits without fsync."""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

# Engines kept open at once: the index shard, the running runs' shards and the UI's recent reads.
OPEN_SHARDS = 8


def _wal_normal(dbapi_connection: Any, _record: Any) -> None:
    # In WAL mode, synchronous=NORMAL keeps the database consistent through a crash or power loss and
    # may lose only the last commits; FULL syncs the disk at every commit, i.e. at every event.
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage (same files, same schema) whose connections stay open between events.

    Dagster's own class creates an engine, connects, commits with a disk sync and closes for every
    event, and closing the last connection of a WAL database checkpoints it (more syncs): a run
    writes thousands of events (one per dbt test). Here each shard keeps one engine with a pool, so
    an event is a commit to the write-ahead log.
    """

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> PooledSqliteEventLogStorage:  # type: ignore[override]
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
                    pool_size=1,
                    max_overflow=4,
                )
                event.listen(engine, "connect", _wal_normal)
            self._engines[shard] = engine
            while len(self._engines) > OPEN_SHARDS:
                self._engines.popitem(last=False)[1].dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def store_event(self, event: EventLogEntry) -> None:
        super().store_event(event)
        # A commit now lands in the shard's -wal file; the UI follows a running run by watching the
        # shard's .db file (SqliteEventLogStorageWatchdog), which a touch notifies without a sync.
        with contextlib.suppress(FileNotFoundError):
            os.utime(self.path_for_shard(event.run_id))

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        # wipe() unlinks the run shards' files: their pooled connections must be closed first.
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()
