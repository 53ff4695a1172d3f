"""Dagster's SQLite event log with its connections kept open: a partitioned run writes events per day."""

from __future__ import annotations

import contextlib
import os
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS

# Dagster opens and closes a SQLite connection per stored event (twice for an asset event: the run's
# shard and the index). Closing the last connection of a WAL database checkpoints and syncs it, so a
# run over a year of daily partitions (an event per day, feed and kind) spent most of its time there
# (docs/operations.md). Open connections checkpoint only when the WAL fills up.
OPEN_RUN_SHARDS = 4  # the runs being written; older shards' connections are closed
_live: weakref.WeakSet[PooledSqliteEventLogStorage] = weakref.WeakSet()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage (same files, same schema) keeping one engine per shard open, with
    `synchronous=NORMAL`: in WAL mode a commit is safe against a crash of the process; a power cut
    may lose the last events, not the database."""

    def __init__(self, base_dir: str, inst_data: Any = None):
        self._engines: OrderedDict[str, sa.Engine] = OrderedDict()
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data)
        _live.add(self)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> sa.Engine:
        engine = self._engines.get(shard)
        if engine is None:
            engine = sa.create_engine(
                self.conn_string_for_shard(shard),
                pool_size=1,
                # every use holds self._db_lock, so a connection is never shared by two threads at once
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            sa.event.listen(engine, "connect", _durable_enough)
            self._engines[shard] = engine
            runs = [s for s in self._engines if s != INDEX_SHARD_NAME]
            for old in runs[:-OPEN_RUN_SHARDS]:
                self._engines.pop(old).dispose()
        self._engines.move_to_end(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        # Asked for every asset event, each time through a new connection; a table, once there, stays.
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)
        return table_name in self._tables

    def store_event(self, event: Any) -> None:
        super().store_event(event)
        # The UI follows a running run by watching its shard file, which an open WAL connection no
        # longer rewrites per event: touch it (a watcher reads the new events through the WAL).
        if event.run_id:
            with contextlib.suppress(OSError):
                os.utime(self.path_for_shard(event.run_id))

    def _close_all(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._close_all()  # before its files are deleted
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()


def _durable_enough(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _forget_in_child() -> None:
    # A forked child must not use (or close) its parent's SQLite connections.
    for storage in list(_live):
        for engine in storage._engines.values():
            engine.dispose(close=False)
        storage._engines.clear()


os.register_at_fork(after_in_child=_forget_in_child)
