"""The batch queue of the SQLite store: streaming enqueue, atomic claims and queue admin.

Enqueue writes the batch row (graph and data once) and every item in one ``BEGIN IMMEDIATE``
transaction, the items with a single ``executemany`` fed by a lazy ``zip`` of ranges and
constants, so no Python code runs per row and the product is never built. Item ids are
consecutive within a batch and never reused (``queue_sequence`` keeps the last one given
out), so a batch's items are the id range ``first_item_id ..`` and batch filters use the
primary key instead of an index that every enqueue would pay for.

A claim is one ``UPDATE … WHERE id = (SELECT … ORDER BY priority DESC, order_key, id LIMIT 1)
RETURNING …`` statement: SQLite runs it under the database write lock, so two workers (threads
or processes) never take the same item.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, exists, func, select, update

from nodeloom.storage import tables
from nodeloom.storage.base import (
    CANCELED,
    FAILED,
    IN_PROGRESS,
    QUEUE_STATES,
    TERMINAL_STATES,
    UNFINISHED_STATES,
    UNINITIALIZED,
    BatchRecord,
    EnqueueResult,
    NewBatch,
    NotFound,
    QueueItemRecord,
    QueueStatus,
    StoreError,
    cap_enqueued,
)
from nodeloom.storage.tables import BatchRow, QueueItemRow, QueueRow, QueueSequenceRow, table

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy import Connection


@dataclass(frozen=True)
class _Sql:
    """A statement compiled once to driver SQL, with its positional parameter names."""

    text: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, statement: Any, dialect: Any) -> _Sql:
        compiled = statement.compile(dialect=dialect)
        return cls(str(compiled), tuple(compiled.positiontup or ()))


class _QueueStatements:
    """The queue's hot statements, compiled once per store."""

    def __init__(self, dialect: Any) -> None:
        from sqlalchemy import literal_column

        items, batches, sequence = table(QueueItemRow), table(BatchRow), table(QueueSequenceRow)
        unfinished = items.c.status.in_([_literal(state) for state in sorted(UNFINISHED_STATES)])
        waiting = items.c.status == _literal(UNINITIALIZED)
        self.pending = _Sql.of(
            select(
                func.count(),
                func.max(items.c.priority).filter(waiting),
                func.min(items.c.order_key).filter(waiting),
            ).where(items.c.queue == _param("p_queue"), unfinished),
            dialect,
        )
        zero, one = literal_column("0"), literal_column("1")
        self.last_id = _Sql.of(
            select(
                func.max(  # two-argument max(): the larger of the two
                    func.coalesce(select(func.max(items.c.id)).scalar_subquery(), zero),
                    func.coalesce(
                        select(sequence.c.last_item_id)
                        .where(sequence.c.id == one)
                        .scalar_subquery(),
                        zero,
                    ),
                )
            ),
            dialect,
        )
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        upsert = sqlite_insert(sequence).values(
            id=literal_column("1"), last_item_id=_param("p_last")
        )
        self.set_last_id = _Sql.of(
            upsert.on_conflict_do_update(
                index_elements=[sequence.c.id], set_={"last_item_id": upsert.excluded.last_item_id}
            ),
            dialect,
        )
        batch_columns = [column.name for column in batches.columns]
        self.batch_columns = tuple(batch_columns)
        self.insert_batch = _Sql.of(
            batches.insert().values({name: _param(f"p_{name}") for name in batch_columns}), dialect
        )
        self.insert_item = _Sql.of(tables.insert_queue_item_statement(), dialect)
        expected = tuple(f"p_{name}" for name in tables.QUEUE_INSERT_FIELDS)
        if self.insert_item.names != expected:  # rows are streamed positionally in this order
            raise AssertionError(f"{self.insert_item.names} is not {expected}")
        self.claim = _Sql.of(tables.claim_item_statement(UNINITIALIZED, IN_PROGRESS), dialect)
        self.finish = _Sql.of(tables.finish_item_statement(UNFINISHED_STATES), dialect)
        self.exists = _Sql.of(select(items.c.id).where(items.c.id == _param("p_id")), dialect)


_COMPILED: dict[tuple[type, Any], _QueueStatements] = {}


def _compiled(dialect: Any) -> _QueueStatements:
    """Compiled once per process (and SQLite version): every store runs the same statements."""
    key = (type(dialect), dialect.server_version_info)
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED[key] = _QueueStatements(dialect)
    return found


def _literal(state: str) -> Any:
    """A state name inlined in precompiled SQL (the names are our own constants)."""
    from sqlalchemy import literal_column

    return literal_column(f"'{state}'")


def _param(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name)


def _args(sql: _Sql, **values: Any) -> tuple[Any, ...]:
    return tuple(values[name.removeprefix("p_")] for name in sql.names)


class SqliteQueueMixin:
    """Queue methods of ``SqliteStore`` (which provides the connections and transactions)."""

    url: str
    _engine: Any

    # provided by SqliteStore
    def _connection(self) -> Connection:
        raise NotImplementedError

    def _driver(self) -> sqlite3.Connection:
        raise NotImplementedError

    def _write_transaction(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _errors(self, doing: str) -> AbstractContextManager[None]:
        raise NotImplementedError

    @functools.cached_property
    def _queue_sql(self) -> _QueueStatements:
        return _compiled(self._engine.dialect)

    # -- enqueue ---------------------------------------------------------------------------------

    def add_batch(
        self, batch: NewBatch, *, priority: int, prepend: bool, queue: str, max_queue_size: int
    ) -> EnqueueResult:
        sql = self._queue_sql
        try:
            with self._errors(f"enqueueing batch '{batch.batch_id}'"), self._write_transaction():
                driver = self._driver()
                unfinished, top_priority, first_key = driver.execute(
                    sql.pending.text, (queue,)
                ).fetchone()
                enqueued = cap_enqueued(batch.count, unfinished, max_queue_size)
                if prepend and top_priority is not None:
                    priority = max(priority, top_priority)
                if enqueued == 0:
                    return EnqueueResult(batch.batch_id, 0, batch.count, priority, queue)
                first = driver.execute(sql.last_id.text).fetchone()[0] + 1
                driver.execute(sql.set_last_id.text, (first + enqueued - 1,))
                order_key = first if not prepend or first_key is None else first_key - 1
                row = {
                    "id": batch.batch_id,
                    "queue": queue,
                    "graph_json": batch.graph_json,
                    "data_json": batch.data_json,
                    "runs": batch.runs,
                    "requested": batch.count,
                    "enqueued": enqueued,
                    "priority": priority,
                    "order_key": order_key,
                    "first_item_id": first,
                    "created_at": time.time(),
                }
                driver.execute(sql.insert_batch.text, _args(sql.insert_batch, **row))
                # id, batch_id, batch_index, queue, status, priority, order_key
                driver.executemany(
                    sql.insert_item.text,
                    zip(
                        range(first, first + enqueued),
                        repeat(batch.batch_id),
                        range(enqueued),
                        repeat(queue),
                        repeat(UNINITIALIZED),
                        repeat(priority),
                        repeat(order_key),
                    ),
                )
        except StoreError as error:
            if isinstance(error.__cause__, sqlite3.IntegrityError):
                raise StoreError(
                    f"batch '{batch.batch_id}' already exists in {self.url}; "
                    "give the batch a new batch_id"
                ) from None
            raise
        return EnqueueResult(batch.batch_id, enqueued, batch.count, priority, queue)

    def get_batch(self, batch_id: str) -> BatchRecord:
        batches = table(BatchRow)
        query = select(
            batches.c.id,
            batches.c.queue,
            batches.c.graph_json,
            batches.c.data_json,
            batches.c.runs,
            batches.c.requested,
            batches.c.enqueued,
            batches.c.priority,
            batches.c.first_item_id,
            batches.c.created_at,
        ).where(batches.c.id == batch_id)
        with self._errors(f"reading batch '{batch_id}'"):
            row = self._connection().execute(query).first()
        if row is None:
            raise NotFound(f"batch '{batch_id}' does not exist in {self.url}")
        return BatchRecord(*row)

    # -- workers ---------------------------------------------------------------------------------

    def claim_item(
        self, queue: str = "default", *, worker: str, session_id: str | None = None
    ) -> QueueItemRecord | None:
        sql = self._queue_sql
        now = time.time()
        arguments = _args(
            sql.claim,
            session_id=session_id,
            worker=worker,
            started_at=now,
            queue=queue,
            paused_queue=queue,
        )
        with self._errors(f"claiming an item of queue '{queue}'"):
            # fetchall: the statement (and its write transaction) ends only once fully stepped
            rows = self._driver().execute(sql.claim.text, arguments).fetchall()
        if not rows:
            return None
        return QueueItemRecord(*rows[0], started_at=now)

    def get_item(self, item_id: int) -> QueueItemRecord:
        items = table(QueueItemRow)
        query = tables.queue_item_select().where(items.c.id == item_id)
        with self._errors(f"reading queue item {item_id}"):
            row = self._connection().execute(query).first()
        if row is None:
            raise NotFound(f"queue item {item_id} does not exist in {self.url}")
        return QueueItemRecord(*row)

    def list_items(
        self,
        *,
        queue: str | None = None,
        status: str | None = None,
        batch_id: str | None = None,
        after: int | None = None,
        limit: int = 50,
    ) -> list[QueueItemRecord]:
        items = table(QueueItemRow)
        query = tables.queue_item_select()
        if queue is not None:
            query = query.where(items.c.queue == queue)
        if status is not None:
            query = query.where(items.c.status == status)
        if batch_id is not None:
            first, last = self._batch_range(batch_id)
            query = query.where(items.c.id.between(first, last), items.c.batch_id == batch_id)
        if after is not None:
            query = query.where(items.c.id > after)
        query = query.order_by(items.c.id).limit(max(limit, 0))
        with self._errors("listing queue items"):
            rows = self._connection().execute(query).all()
        return [QueueItemRecord(*row) for row in rows]

    def queue_status(self) -> QueueStatus:
        items = table(QueueItemRow)
        query = select(items.c.queue, items.c.batch_id, items.c.status, func.count()).group_by(
            items.c.queue, items.c.batch_id, items.c.status
        )
        with self._errors("counting queue items"):
            rows = self._connection().execute(query).all()
        status = QueueStatus(counts=dict.fromkeys(QUEUE_STATES, 0), paused=self.paused_queues())
        for queue, batch_id, state, count in rows:
            status.counts[state] = status.counts.get(state, 0) + count
            per_queue = status.queues.setdefault(queue, dict.fromkeys(QUEUE_STATES, 0))
            per_queue[state] = per_queue.get(state, 0) + count
            per_batch = status.batches.setdefault(batch_id, dict.fromkeys(QUEUE_STATES, 0))
            per_batch[state] = per_batch.get(state, 0) + count
        for queue in status.paused:
            status.queues.setdefault(queue, dict.fromkeys(QUEUE_STATES, 0))
        return status

    def finish_item(self, item_id: int, status: str, error: str | None = None) -> bool:
        if status not in TERMINAL_STATES:
            raise ValueError(f"'{status}' is not a terminal state ({sorted(TERMINAL_STATES)})")
        sql = self._queue_sql
        arguments = _args(
            sql.finish, status=status, error=error, finished_at=time.time(), id=item_id
        )
        with self._errors(f"finishing queue item {item_id}"):
            driver = self._driver()
            if driver.execute(sql.finish.text, arguments).rowcount:
                return True
            if driver.execute(sql.exists.text, (item_id,)).fetchone() is None:
                raise NotFound(f"queue item {item_id} does not exist in {self.url}")
        return False

    # -- admin -----------------------------------------------------------------------------------

    def cancel_item(self, item_id: int) -> bool:
        return self.finish_item(item_id, CANCELED)

    def cancel_batch(self, batch_id: str) -> int:
        items = table(QueueItemRow)
        first, last = self._batch_range(batch_id)
        return self._cancel(items.c.id.between(first, last), items.c.batch_id == batch_id)

    def cancel_all(self, queue: str | None = None) -> int:
        items = table(QueueItemRow)
        return self._cancel(*([] if queue is None else [items.c.queue == queue]))

    def _cancel(self, *conditions: Any) -> int:
        items = table(QueueItemRow)
        statement = (
            update(items)
            .where(items.c.status.in_(sorted(UNFINISHED_STATES)), *conditions)
            .values(status=CANCELED, finished_at=time.time())
        )
        with self._errors("canceling queue items"):
            return self._connection().execute(statement).rowcount

    def retry_items(
        self,
        item_ids: list[int] | None = None,
        *,
        batch_id: str | None = None,
        queue: str | None = None,
    ) -> int:
        items = table(QueueItemRow)
        conditions: list[Any] = [items.c.status.in_([FAILED, CANCELED])]
        if item_ids is not None:
            conditions.append(items.c.id.in_(list(item_ids)))
        elif batch_id is not None:
            first, last = self._batch_range(batch_id)
            conditions += [items.c.id.between(first, last), items.c.batch_id == batch_id]
        elif queue is not None:
            conditions.append(items.c.queue == queue)
        statement = (
            update(items)
            .where(*conditions)
            .values(
                status=UNINITIALIZED,
                session_id=None,
                worker=None,
                error=None,
                started_at=None,
                finished_at=None,
            )
        )
        with self._errors("retrying queue items"), self._write_transaction() as connection:
            if item_ids is not None:
                self._require_items(connection, item_ids)
            return connection.execute(statement).rowcount

    def _require_items(self, connection: Connection, item_ids: list[int]) -> None:
        items = table(QueueItemRow)
        found = set(
            connection.execute(select(items.c.id).where(items.c.id.in_(item_ids))).scalars()
        )
        missing = [item_id for item_id in item_ids if item_id not in found]
        if missing:
            raise NotFound(
                f"queue item(s) {', '.join(map(str, missing))} do not exist in {self.url}"
            )

    def prune_items(self, queue: str | None = None) -> int:
        items = table(QueueItemRow)
        statement = delete(items).where(items.c.status.in_(sorted(TERMINAL_STATES)))
        if queue is not None:
            statement = statement.where(items.c.queue == queue)
        with self._errors("pruning queue items"), self._write_transaction() as connection:
            pruned = connection.execute(statement).rowcount
            self._delete_empty_batches(connection)
        return pruned

    def clear_queue(self, queue: str | None = None) -> int:
        items, batches = table(QueueItemRow), table(BatchRow)
        delete_items, delete_batches = delete(items), delete(batches)
        if queue is not None:
            delete_items = delete_items.where(items.c.queue == queue)
            delete_batches = delete_batches.where(batches.c.queue == queue)
        with self._errors("clearing the queue"), self._write_transaction() as connection:
            cleared = connection.execute(delete_items).rowcount
            connection.execute(delete_batches)
        return cleared

    @staticmethod
    def _delete_empty_batches(connection: Connection) -> None:
        items, batches = table(QueueItemRow), table(BatchRow)
        has_items = exists().where(
            items.c.id.between(
                batches.c.first_item_id, batches.c.first_item_id + batches.c.enqueued - 1
            )
        )
        connection.execute(delete(batches).where(~has_items))

    def set_queue_paused(self, queue: str, paused: bool) -> None:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        queues = table(QueueRow)
        statement = sqlite_insert(queues).values(name=queue, paused=paused, updated_at=time.time())
        statement = statement.on_conflict_do_update(
            index_elements=[queues.c.name],
            set_={"paused": statement.excluded.paused, "updated_at": statement.excluded.updated_at},
        )
        with self._errors(f"{'pausing' if paused else 'resuming'} queue '{queue}'"):
            self._connection().execute(statement)

    def paused_queues(self) -> list[str]:
        queues = table(QueueRow)
        query = select(queues.c.name).where(queues.c.paused.is_(True)).order_by(queues.c.name)
        with self._errors("reading paused queues"):
            return list(self._connection().execute(query).scalars())

    def _batch_range(self, batch_id: str) -> tuple[int, int]:
        batches = table(BatchRow)
        query = select(batches.c.first_item_id, batches.c.enqueued).where(batches.c.id == batch_id)
        with self._errors(f"reading batch '{batch_id}'"):
            row = self._connection().execute(query).first()
        if row is None:
            raise NotFound(f"batch '{batch_id}' does not exist in {self.url}")
        return row[0], row[0] + row[1] - 1
