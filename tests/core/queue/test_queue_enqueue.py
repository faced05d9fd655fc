"""enqueue_batch: validation first, the graph once, lazy sessions, the cap, prepend."""

from __future__ import annotations

import json

import pytest
from queue_builders import chain_graph, values_batch

from nodeloom.batch import Batch, BatchValidationError, field_values_at, load_data
from nodeloom.storage.base import UNINITIALIZED, StoreError


def test_enqueue_a_dict_stores_the_graph_once_and_no_sessions(store, manager):
    result = store.enqueue_batch(values_batch(range(5), runs=2), plugin_manager=manager)
    assert (result.enqueued, result.requested, result.priority, result.queue) == (
        10,
        10,
        0,
        "default",
    )
    record = store.get_batch(result.batch_id)
    assert json.loads(record.graph_json)["nodes"]["b"]["type"] == "add"
    data = load_data(record.data_json)
    items = store.list_items(limit=100)
    assert [item.batch_index for item in items] == list(range(10))
    assert {item.status for item in items} == {UNINITIALIZED}
    # each item's values come from its position alone
    assert [field_values_at(data, item.batch_index)[0][2] for item in items] == [0, 1, 2, 3, 4] * 2
    assert store.list_sessions() == []  # lazy: nothing is built before a worker takes an item
    counts = store.info().counts
    assert (counts["sessions"], counts["graphs"], counts["batches"]) == (0, 0, 1)


def test_enqueue_a_batch_object_keeps_its_id(store, manager):
    batch = Batch.model_validate(values_batch([1, 2]))
    assert store.enqueue_batch(batch, plugin_manager=manager).batch_id == batch.batch_id


def test_an_invalid_batch_stores_nothing(store, manager):
    with pytest.raises(BatchValidationError) as raised:
        store.enqueue_batch(values_batch([1, "x"]), plugin_manager=manager)
    assert raised.value.errors[0].code == "batch_mixed_types"
    with pytest.raises(BatchValidationError, match="runs"):
        store.enqueue_batch({"graph": chain_graph(), "runs": 0}, plugin_manager=manager)
    assert store.list_items() == []
    assert store.info().counts["batches"] == 0


def test_the_cap_truncates_and_reports(store, manager, monkeypatch):
    monkeypatch.delenv("NODELOOM_MAX_QUEUE_SIZE", raising=False)
    result = store.enqueue_batch(values_batch(range(7)), max_queue_size=4, plugin_manager=manager)
    assert (result.enqueued, result.requested) == (4, 7)
    assert [item.batch_index for item in store.list_items()] == [0, 1, 2, 3]  # the first ones
    monkeypatch.setenv("NODELOOM_MAX_QUEUE_SIZE", "6")
    assert store.enqueue_batch(values_batch(range(5)), plugin_manager=manager).enqueued == 2
    # the argument overrides the environment
    assert (
        store.enqueue_batch(
            values_batch(range(5)), max_queue_size=100, plugin_manager=manager
        ).enqueued
        == 5
    )
    monkeypatch.setenv("NODELOOM_MAX_QUEUE_SIZE", "lots")
    with pytest.raises(StoreError, match="NODELOOM_MAX_QUEUE_SIZE"):
        store.enqueue_batch(values_batch([1]), plugin_manager=manager)


def test_the_default_cap_is_ten_thousand(store, manager, monkeypatch):
    monkeypatch.delenv("NODELOOM_MAX_QUEUE_SIZE", raising=False)
    result = store.enqueue_batch(values_batch(range(10_001)), plugin_manager=manager)
    assert (result.enqueued, result.requested) == (10_000, 10_001)


def test_priority_and_prepend(store, manager):
    first = store.enqueue_batch(values_batch([1]), plugin_manager=manager)
    urgent = store.enqueue_batch(values_batch([2]), priority=3, plugin_manager=manager)
    jump = store.enqueue_batch(values_batch([3]), prepend=True, plugin_manager=manager)
    assert jump.priority == 3
    order = []
    while (item := store.claim_item(worker="test")) is not None:
        order.append(item.batch_id)
    assert order == [jump.batch_id, urgent.batch_id, first.batch_id]
