"""The batch queue of the memory store: the same behaviour as SQLite's, in dicts and heaps.

Items live in a dict keyed by id (insertion order is id order); each queue has a heap of
``(-priority, order_key, id)`` for the waiting items. Entries of items that left
``uninitialized`` are skipped when they reach the top, and a retried item is pushed again.
Everything happens under the store's lock, so claims are atomic across threads.
"""

from __future__ import annotations

import functools
import heapq
import threading
import time
from dataclasses import dataclass, field, replace
from itertools import islice

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


@dataclass
class _QueueState:
    batches: dict[str, BatchRecord] = field(default_factory=dict)
    order_keys: dict[str, int] = field(default_factory=dict)  # batch id -> its place
    items: dict[int, QueueItemRecord] = field(default_factory=dict)
    waiting: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    paused: set[str] = field(default_factory=set)
    last_id: int = 0


class MemoryQueueMixin:
    """Queue methods of ``MemoryStore`` (which provides ``_lock`` and ``url``)."""

    url: str
    _lock: threading.RLock

    @functools.cached_property
    def _queue(self) -> _QueueState:
        return _QueueState()

    def _item(self, item_id: int) -> QueueItemRecord:
        try:
            return self._queue.items[item_id]
        except KeyError:
            raise NotFound(f"queue item {item_id} does not exist in {self.url}") from None

    def _push(self, item: QueueItemRecord) -> None:
        order_key = self._queue.order_keys[item.batch_id]
        heap = self._queue.waiting.setdefault(item.queue, [])
        heapq.heappush(heap, (-item.priority, order_key, item.item_id))

    # -- enqueue ---------------------------------------------------------------------------------

    def add_batch(
        self, batch: NewBatch, *, priority: int, prepend: bool, queue: str, max_queue_size: int
    ) -> EnqueueResult:
        with self._lock:
            state = self._queue
            if batch.batch_id in state.batches:
                raise StoreError(
                    f"batch '{batch.batch_id}' already exists in {self.url}; "
                    "give the batch a new batch_id"
                )
            pending = [
                item
                for item in state.items.values()
                if item.queue == queue and item.status in UNFINISHED_STATES
            ]
            waiting = [item for item in pending if item.status == UNINITIALIZED]
            enqueued = cap_enqueued(batch.count, len(pending), max_queue_size)
            if prepend and waiting:
                priority = max(priority, max(item.priority for item in waiting))
            if enqueued == 0:
                return EnqueueResult(batch.batch_id, 0, batch.count, priority, queue)
            first = state.last_id + 1
            state.last_id += enqueued
            order_key = first
            if prepend and waiting:
                order_key = min(state.order_keys[item.batch_id] for item in waiting) - 1
            now = time.time()
            state.batches[batch.batch_id] = BatchRecord(
                batch_id=batch.batch_id,
                queue=queue,
                graph_json=batch.graph_json,
                data_json=batch.data_json,
                runs=batch.runs,
                requested=batch.count,
                enqueued=enqueued,
                priority=priority,
                first_item_id=first,
                created_at=now,
            )
            state.order_keys[batch.batch_id] = order_key
            for index in range(enqueued):
                item = QueueItemRecord(
                    item_id=first + index,
                    batch_id=batch.batch_id,
                    batch_index=index,
                    queue=queue,
                    status=UNINITIALIZED,
                    priority=priority,
                    created_at=now,
                )
                state.items[item.item_id] = item
                self._push(item)
        return EnqueueResult(batch.batch_id, enqueued, batch.count, priority, queue)

    def get_batch(self, batch_id: str) -> BatchRecord:
        with self._lock:
            try:
                return replace(self._queue.batches[batch_id])
            except KeyError:
                raise NotFound(f"batch '{batch_id}' does not exist in {self.url}") from None

    # -- workers ---------------------------------------------------------------------------------

    def claim_item(
        self, queue: str = "default", *, worker: str, session_id: str | None = None
    ) -> QueueItemRecord | None:
        with self._lock:
            state = self._queue
            if queue in state.paused:
                return None
            heap = state.waiting.get(queue, [])
            while heap:
                _, _, item_id = heapq.heappop(heap)
                item = state.items.get(item_id)
                if item is None or item.status != UNINITIALIZED:
                    continue  # left the queue, or already claimed through another entry
                item.status = IN_PROGRESS
                item.worker = worker
                item.session_id = session_id
                item.started_at = time.time()
                return replace(item)
        return None

    def get_item(self, item_id: int) -> QueueItemRecord:
        with self._lock:
            return replace(self._item(item_id))

    def list_items(
        self,
        *,
        queue: str | None = None,
        status: str | None = None,
        batch_id: str | None = None,
        after: int | None = None,
        limit: int = 50,
    ) -> list[QueueItemRecord]:
        with self._lock:
            if batch_id is not None:
                self.get_batch(batch_id)
            chosen = (
                item
                for item in self._queue.items.values()
                if (after is None or item.item_id > after)
                and (queue is None or item.queue == queue)
                and (status is None or item.status == status)
                and (batch_id is None or item.batch_id == batch_id)
            )
            return [replace(item) for item in islice(chosen, max(limit, 0))]

    def queue_status(self) -> QueueStatus:
        with self._lock:
            status = QueueStatus(
                counts=dict.fromkeys(QUEUE_STATES, 0), paused=sorted(self._queue.paused)
            )
            for item in self._queue.items.values():
                status.counts[item.status] += 1
                status.queues.setdefault(item.queue, dict.fromkeys(QUEUE_STATES, 0))[
                    item.status
                ] += 1
                status.batches.setdefault(item.batch_id, dict.fromkeys(QUEUE_STATES, 0))[
                    item.status
                ] += 1
            for queue in status.paused:
                status.queues.setdefault(queue, dict.fromkeys(QUEUE_STATES, 0))
            return status

    def finish_item(self, item_id: int, status: str, error: str | None = None) -> bool:
        if status not in TERMINAL_STATES:
            raise ValueError(f"'{status}' is not a terminal state ({sorted(TERMINAL_STATES)})")
        with self._lock:
            item = self._item(item_id)
            if item.status not in UNFINISHED_STATES:
                return False
            item.status = status
            item.finished_at = time.time()
            if error is not None:
                item.error = error
            return True

    # -- admin -----------------------------------------------------------------------------------

    def cancel_item(self, item_id: int) -> bool:
        return self.finish_item(item_id, CANCELED)

    def cancel_batch(self, batch_id: str) -> int:
        with self._lock:
            self.get_batch(batch_id)
            return self._cancel([i for i in self._queue.items.values() if i.batch_id == batch_id])

    def cancel_all(self, queue: str | None = None) -> int:
        with self._lock:
            items = self._queue.items.values()
            return self._cancel([i for i in items if queue is None or i.queue == queue])

    def _cancel(self, items: list[QueueItemRecord]) -> int:
        now, canceled = time.time(), 0
        for item in items:
            if item.status in UNFINISHED_STATES:
                item.status, item.finished_at = CANCELED, now
                canceled += 1
        return canceled

    def retry_items(
        self,
        item_ids: list[int] | None = None,
        *,
        batch_id: str | None = None,
        queue: str | None = None,
    ) -> int:
        with self._lock:
            state = self._queue
            if item_ids is not None:
                missing = [item_id for item_id in item_ids if item_id not in state.items]
                if missing:
                    raise NotFound(
                        f"queue item(s) {', '.join(map(str, missing))} do not exist in {self.url}"
                    )
                chosen = [state.items[item_id] for item_id in dict.fromkeys(item_ids)]
            elif batch_id is not None:
                self.get_batch(batch_id)
                chosen = [item for item in state.items.values() if item.batch_id == batch_id]
            else:
                chosen = [i for i in state.items.values() if queue is None or i.queue == queue]
            retried = 0
            for item in chosen:
                if item.status not in (FAILED, CANCELED):
                    continue
                item.status = UNINITIALIZED
                item.session_id = item.worker = item.error = None
                item.started_at = item.finished_at = None
                self._push(item)
                retried += 1
            return retried

    def prune_items(self, queue: str | None = None) -> int:
        with self._lock:
            return self._delete(
                lambda item: item.status in TERMINAL_STATES and queue in (None, item.queue)
            )

    def clear_queue(self, queue: str | None = None) -> int:
        with self._lock:
            cleared = self._delete(lambda item: queue in (None, item.queue))
            for batch_id, batch in list(self._queue.batches.items()):
                if queue in (None, batch.queue):
                    del self._queue.batches[batch_id]
                    del self._queue.order_keys[batch_id]
            return cleared

    def _delete(self, chosen) -> int:  # type: ignore[no-untyped-def]
        state = self._queue
        doomed = [item_id for item_id, item in state.items.items() if chosen(item)]
        for item_id in doomed:
            del state.items[item_id]
        alive = {item.batch_id for item in state.items.values()}
        for batch_id in [batch_id for batch_id in state.batches if batch_id not in alive]:
            del state.batches[batch_id]
            del state.order_keys[batch_id]
        return len(doomed)

    def set_queue_paused(self, queue: str, paused: bool) -> None:
        with self._lock:
            if paused:
                self._queue.paused.add(queue)
            else:
                self._queue.paused.discard(queue)

    def paused_queues(self) -> list[str]:
        with self._lock:
            return sorted(self._queue.paused)

    def _queue_counts(self) -> dict[str, int]:
        """Row counts for ``info()``, named like the SQL tables."""
        with self._lock:
            return {"batches": len(self._queue.batches), "queue_items": len(self._queue.items)}
