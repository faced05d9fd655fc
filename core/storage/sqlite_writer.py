"""Group commit for SQLite: a background thread writes a running session's results.

A committed row costs ~30 µs here, most of it the commit itself, which is more than the engine
spends running a small node. The runner therefore hands each result to this writer: the row is
queued, and a thread of its own gathers rows for up to 2 ms, inserts them with one
``executemany`` and one commit, then waits for more. Each result is still its own row, written
a few milliseconds after its node at most, so a crash loses at most the rows of the last few
fast nodes, which a resume runs again. ``flush()`` waits
until every queued row is committed; the runner calls it whenever a node reports progress and
before the session's status changes, so a long node never starts with results unwritten.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from nodeloom.storage.base import ResultRecord, ResultWriter, StoreError

#: How long the thread gathers rows after the first one before committing them together.
GATHER_SECONDS = 0.002


class BackgroundResultWriter(ResultWriter):
    """Queues results and commits them in groups from a dedicated thread and connection."""

    def __init__(
        self, connect: Callable[[], sqlite3.Connection], insert_sql: str, describe: str
    ) -> None:
        self._connect = connect
        self._insert_sql = insert_sql
        self._describe = describe
        self._condition = threading.Condition()
        self._queued: list[tuple[Any, ...]] = []
        self._submitted = 0
        self._done = 0
        self._error: BaseException | None = None
        self._closing = False
        self._idle = False  # the thread waits for a first row (only then does add() wake it)
        self._urgent = False  # a flush() waits: write what is queued without gathering more
        self._thread = threading.Thread(
            target=self._run, name="nodeloom-result-writer", daemon=True
        )
        self._thread.start()

    def add(self, result: ResultRecord) -> None:
        row = (
            result.session_id,
            result.exec_id,
            result.source_node_id,
            result.node_type,
            "[" + ",".join(map(str, result.iteration_path)) + "]",
            result.status,
            None if result.output is None else json.dumps(result.output),
            None if result.error is None else json.dumps(result.error),
            result.started_at,
            result.finished_at,
        )
        with self._condition:
            if self._error is not None:
                raise self._error
            if self._closing:
                raise StoreError(f"{self._describe}: the result writer is closed")
            self._queued.append(row)
            self._submitted += 1
            if self._idle:
                self._condition.notify_all()

    def flush(self) -> None:
        with self._condition:
            target = self._submitted
            self._urgent = True
            self._condition.notify_all()
            self._condition.wait_for(lambda: self._done >= target or self._error is not None)
            self._urgent = False
            if self._error is not None:
                raise self._error

    def close(self) -> None:
        with self._condition:
            self._closing = True
            self._condition.notify_all()
        self._thread.join()
        if self._error is not None:
            raise self._error

    # -- the writer thread -----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            connection = self._connect()
        except BaseException as error:  # noqa: BLE001 - reported to the engine thread
            self._fail(StoreError(f"{self._describe}: cannot open a writer connection: {error}"))
            return
        try:
            while True:
                with self._condition:
                    self._idle = True
                    self._condition.wait_for(lambda: self._queued or self._closing)
                    self._idle = False
                    if not (self._urgent or self._closing):
                        # Gather the rows of the next few nodes: one commit for many rows.
                        self._condition.wait_for(
                            lambda: self._urgent or self._closing, timeout=GATHER_SECONDS
                        )
                    rows, self._queued = self._queued, []
                    if not rows and self._closing:
                        return
                try:
                    self._write(connection, rows)
                except BaseException as error:  # noqa: BLE001 - reported to the engine thread
                    self._fail(error)
                    return
                with self._condition:
                    self._done += len(rows)
                    self._condition.notify_all()
        finally:
            connection.close()

    def _write(self, connection: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(self._insert_sql, rows)
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            if isinstance(error, sqlite3.IntegrityError):
                self._write_one_by_one(connection, rows)
                return
            raise StoreError(
                f"{self._describe}: storing {len(rows)} result(s) failed: {error}"
            ) from error

    def _write_one_by_one(
        self, connection: sqlite3.Connection, rows: list[tuple[Any, ...]]
    ) -> None:
        """Keep every good row of a group that held a bad one, then report the bad one."""
        first: BaseException | None = None
        for row in rows:
            try:
                connection.execute(self._insert_sql, row)
            except sqlite3.IntegrityError as error:
                first = first or StoreError(
                    f"{self._describe}: result '{row[1]}' of session '{row[0]}' was not stored: {error}"
                )
        if first is not None:
            raise first

    def _fail(self, error: BaseException) -> None:
        with self._condition:
            self._error = error
            self._condition.notify_all()
