"""The queue part of the store contract: batches, claims, states and admin, for every backend.

``StoreContract`` inherits these tests; see ``nodeloom.storage.contract`` for how a backend
runs them. Most tests store batches with ``add_batch`` (already validated, as
``enqueue_batch`` hands them over), so they need no node types.
"""

from __future__ import annotations

import json
import threading
import uuid

import pytest

from nodeloom.storage.base import (
    CANCELED,
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    UNINITIALIZED,
    NewBatch,
    NotFound,
    Store,
    StoreError,
)

BATCH_GRAPH = {"id": "bg", "nodes": {"a": {"id": "a", "type": "integer", "value": 0}}}


def new_batch(count: int, batch_id: str | None = None) -> NewBatch:
    """A validated-looking batch of ``count`` sessions (one datum of ``count`` ints)."""
    data = [[{"node_path": "a", "field_name": "value", "items": list(range(count))}]]
    return NewBatch(
        batch_id=batch_id or uuid.uuid4().hex,
        graph_json=json.dumps(BATCH_GRAPH),
        data_json=json.dumps(data),
        runs=1,
        count=count,
    )


def add(
    store: Store,
    count: int,
    *,
    priority: int = 0,
    prepend: bool = False,
    queue: str = "default",
    max_queue_size: int = 1_000_000,
    batch_id: str | None = None,
):
    return store.add_batch(
        new_batch(count, batch_id),
        priority=priority,
        prepend=prepend,
        queue=queue,
        max_queue_size=max_queue_size,
    )


def claim_all(store: Store, queue: str = "default") -> list[tuple[str, int]]:
    """Claim until nothing is left; (batch id, batch index) in claim order."""
    claimed = []
    while (item := store.claim_item(queue, worker="w")) is not None:
        claimed.append((item.batch_id, item.batch_index))
    return claimed


class QueueContract:
    """Queue behaviour every ``Store`` backend guarantees (mixed into ``StoreContract``)."""

    # -- enqueue ---------------------------------------------------------------------------------

    def test_add_batch_stores_the_batch_once_and_small_items(self, store: Store) -> None:
        batch = new_batch(4)
        result = store.add_batch(
            batch, priority=3, prepend=False, queue="default", max_queue_size=100
        )
        assert (result.batch_id, result.enqueued, result.requested) == (batch.batch_id, 4, 4)
        assert (result.priority, result.queue) == (3, "default")
        stored = store.get_batch(batch.batch_id)
        assert (stored.graph_json, stored.data_json) == (batch.graph_json, batch.data_json)
        assert (stored.requested, stored.enqueued, stored.runs) == (4, 4, 1)
        items = store.list_items()
        assert [item.batch_index for item in items] == [0, 1, 2, 3]
        ids = [item.item_id for item in items]
        assert ids == list(range(ids[0], ids[0] + 4)) and ids[0] == stored.first_item_id
        assert all(isinstance(item_id, int) for item_id in ids)
        assert {item.status for item in items} == {UNINITIALIZED}
        assert {(item.priority, item.session_id, item.worker) for item in items} == {
            (3, None, None)
        }
        assert store.list_sessions() == []  # sessions are built only when an item runs
        assert store.info().counts["sessions"] == 0

    def test_missing_batch_is_not_found(self, store: Store) -> None:
        with pytest.raises(NotFound, match="nope"):
            store.get_batch("nope")
        with pytest.raises(NotFound):
            store.get_item(12345)
        with pytest.raises(NotFound):
            store.cancel_batch("nope")

    def test_a_batch_id_is_stored_once(self, store: Store) -> None:
        add(store, 2, batch_id="b1")
        with pytest.raises(StoreError, match="b1"):
            add(store, 2, batch_id="b1")
        assert len(store.list_items()) == 2

    def test_max_queue_size_truncates_and_counts_unfinished_items(self, store: Store) -> None:
        first = add(store, 5, max_queue_size=3)
        assert (first.enqueued, first.requested) == (3, 5)
        assert [item.batch_index for item in store.list_items()] == [0, 1, 2]
        full = add(store, 2, max_queue_size=3)
        assert (full.enqueued, full.requested) == (0, 2)
        with pytest.raises(NotFound):
            store.get_batch(full.batch_id)  # nothing fitted: nothing stored
        item = store.claim_item(worker="w")
        assert item is not None
        assert add(store, 2, max_queue_size=3).enqueued == 0  # in progress still counts
        store.finish_item(item.item_id, COMPLETED)
        assert add(store, 2, max_queue_size=3).enqueued == 1
        assert add(store, 2, queue="other", max_queue_size=3).enqueued == 2  # per queue

    # -- claims ----------------------------------------------------------------------------------

    def test_claim_order_is_priority_then_age(self, store: Store) -> None:
        low = add(store, 2).batch_id
        high = add(store, 2, priority=5).batch_id
        later_low = add(store, 1).batch_id
        assert claim_all(store) == [(high, 0), (high, 1), (low, 0), (low, 1), (later_low, 0)]

    def test_prepend_goes_ahead_of_everything_pending(self, store: Store) -> None:
        low = add(store, 1).batch_id
        high = add(store, 1, priority=5).batch_id
        first = add(store, 2, prepend=True)
        assert first.priority == 5
        again = add(store, 1, prepend=True).batch_id
        assert claim_all(store) == [(again, 0), (first.batch_id, 0), (first.batch_id, 1)] + [
            (high, 0),
            (low, 0),
        ]

    def test_claim_marks_the_item_and_returns_it(self, store: Store) -> None:
        batch_id = add(store, 1).batch_id
        item = store.claim_item(worker="host:1:2", session_id="s-1")
        assert item is not None
        assert (item.batch_id, item.batch_index, item.status) == (batch_id, 0, IN_PROGRESS)
        assert (item.worker, item.session_id) == ("host:1:2", "s-1")
        assert item.started_at is not None and item.created_at > 0
        assert store.get_item(item.item_id) == item
        assert store.claim_item(worker="w") is None
        assert store.claim_item("other", worker="w") is None

    def test_threads_never_claim_the_same_item(self, store: Store) -> None:
        add(store, 200)
        threads_count = 8
        start = threading.Barrier(threads_count)
        claimed: list[int] = []
        failures: list[BaseException] = []

        def work(number: int) -> None:
            try:
                start.wait()
                while (item := store.claim_item(worker=f"w{number}")) is not None:
                    claimed.append(item.item_id)
            except BaseException as error:  # reported below, in the test's thread
                failures.append(error)

        workers = [threading.Thread(target=work, args=(n,)) for n in range(threads_count)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert failures == []
        assert len(claimed) == 200 and len(set(claimed)) == 200

    def test_a_paused_queue_gives_out_nothing(self, store: Store) -> None:
        add(store, 2)
        add(store, 1, queue="other")
        store.set_queue_paused("default", True)
        assert store.paused_queues() == ["default"]
        assert store.claim_item(worker="w") is None
        assert store.claim_item("other", worker="w") is not None
        assert store.queue_status().paused == ["default"]
        store.set_queue_paused("default", False)
        assert store.paused_queues() == []
        assert store.claim_item(worker="w") is not None

    # -- states ----------------------------------------------------------------------------------

    def test_terminal_transitions_are_idempotent(self, store: Store) -> None:
        add(store, 1)
        item = store.claim_item(worker="w")
        assert item is not None
        assert store.finish_item(item.item_id, FAILED, "node 'a' failed") is True
        assert store.finish_item(item.item_id, COMPLETED) is False
        assert store.cancel_item(item.item_id) is False
        stored = store.get_item(item.item_id)
        assert (stored.status, stored.error) == (FAILED, "node 'a' failed")
        assert stored.finished_at is not None
        with pytest.raises(ValueError, match="terminal"):
            store.finish_item(item.item_id, IN_PROGRESS)
        with pytest.raises(NotFound):
            store.finish_item(99999, COMPLETED)

    def test_cancel_pending_item_leaves_the_running_one(self, store: Store) -> None:
        add(store, 3)
        running = store.claim_item(worker="w")
        assert running is not None
        pending = store.list_items(status=UNINITIALIZED)[0]
        assert store.cancel_item(pending.item_id) is True
        assert store.get_item(running.item_id).status == IN_PROGRESS
        assert store.get_item(pending.item_id).status == CANCELED
        assert store.cancel_item(running.item_id) is True  # its worker notices and stops
        assert store.get_item(running.item_id).status == CANCELED
        next_item = store.claim_item(worker="w")
        assert next_item is not None and next_item.batch_index == 2

    def test_cancel_batch_and_all(self, store: Store) -> None:
        first = add(store, 3).batch_id
        add(store, 2)
        add(store, 2, queue="other")
        store.claim_item(worker="w")
        assert store.cancel_batch(first) == 3
        assert store.cancel_batch(first) == 0
        assert store.cancel_all("default") == 2
        assert store.queue_status().queues["other"][UNINITIALIZED] == 2
        assert store.cancel_all() == 2
        assert store.queue_status().counts[CANCELED] == 7

    def test_retry_puts_failed_and_canceled_items_back(self, store: Store) -> None:
        batch_id = add(store, 3).batch_id
        failed = store.claim_item(worker="w", session_id="s1")
        assert failed is not None
        store.finish_item(failed.item_id, FAILED, "boom")
        done = store.claim_item(worker="w")
        assert done is not None
        store.finish_item(done.item_id, COMPLETED)
        canceled = store.list_items(status=UNINITIALIZED)[0]
        store.cancel_item(canceled.item_id)
        assert store.retry_items([done.item_id]) == 0  # completed items are not retried
        assert store.retry_items(batch_id=batch_id) == 2
        again = store.get_item(failed.item_id)
        assert (again.status, again.error, again.session_id, again.worker) == (
            UNINITIALIZED,
            None,
            None,
            None,
        )
        assert again.started_at is None and again.finished_at is None
        assert claim_all(store) == [(batch_id, 0), (batch_id, 2)]  # back in their places
        with pytest.raises(NotFound, match="424242"):
            store.retry_items([424242])

    def test_prune_removes_finished_items_and_empty_batches(self, store: Store) -> None:
        done_batch = add(store, 1).batch_id
        open_batch = add(store, 2).batch_id
        item = store.claim_item(worker="w")
        assert item is not None and item.batch_id == done_batch
        store.finish_item(item.item_id, COMPLETED)
        assert store.prune_items() == 1
        with pytest.raises(NotFound):
            store.get_batch(done_batch)
        assert store.get_batch(open_batch).enqueued == 2
        last_id = store.list_items()[-1].item_id
        store.clear_queue()
        assert store.list_items() == []
        assert add(store, 1).enqueued == 1
        assert store.list_items()[0].item_id > last_id  # ids are never reused

    def test_clear_is_per_queue(self, store: Store) -> None:
        add(store, 2)
        kept = add(store, 1, queue="other").batch_id
        assert store.clear_queue("default") == 2
        assert [item.batch_id for item in store.list_items()] == [kept]
        assert store.info().counts["queue_items"] == 1

    # -- reading ---------------------------------------------------------------------------------

    def test_list_items_pages_and_filters(self, store: Store) -> None:
        first = add(store, 5).batch_id
        second = add(store, 3, queue="other").batch_id
        seen, after = [], None
        while page := store.list_items(limit=3, after=after):
            seen += [item.item_id for item in page]
            after = page[-1].item_id
        assert len(seen) == 8 and seen == sorted(seen)
        assert [i.batch_id for i in store.list_items(queue="other")] == [second] * 3
        assert [i.batch_index for i in store.list_items(batch_id=first, limit=2)] == [0, 1]
        store.claim_item(worker="w")
        assert [i.batch_index for i in store.list_items(status=IN_PROGRESS)] == [0]
        assert store.list_items(limit=0) == []

    def test_queue_status_counts(self, store: Store) -> None:
        first = add(store, 3).batch_id
        second = add(store, 2, queue="other").batch_id
        item = store.claim_item(worker="w")
        assert item is not None
        store.finish_item(item.item_id, FAILED, "x")
        store.claim_item(worker="w")
        status = store.queue_status()
        assert status.counts == {
            UNINITIALIZED: 3,
            IN_PROGRESS: 1,
            COMPLETED: 0,
            FAILED: 1,
            CANCELED: 0,
        }
        assert status.queues["default"][FAILED] == 1
        assert status.queues["other"][UNINITIALIZED] == 2
        assert status.batches[first][IN_PROGRESS] == 1
        assert status.batches[second][UNINITIALIZED] == 2
        info = store.info().counts
        assert (info["batches"], info["queue_items"]) == (2, 5)
