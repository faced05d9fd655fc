"""Workers in this process: sessions built at dequeue, outcomes, cancel, retry, pause, notices."""

from __future__ import annotations

import threading
import uuid

import queue_nodes
from queue_builders import chain_graph, values_batch

from nodeloom import hookimpl
from nodeloom.execute import collect_result, run_graph
from nodeloom.queue import Worker
from nodeloom.storage import open_store
from nodeloom.storage.base import CANCELED, COMPLETED, FAILED, IN_PROGRESS, UNINITIALIZED


def run_all(store, manager, **options) -> object:
    return Worker(store, plugin_manager=manager, **options).run(until_empty=True)


def test_each_item_runs_its_own_values(store, manager):
    result = store.enqueue_batch(values_batch([1, 2, 3], runs=2), plugin_manager=manager)
    summary = run_all(store, manager)
    assert (summary.processed, summary.counts[COMPLETED]) == (6, 6)
    items = store.list_items()
    assert {item.status for item in items} == {COMPLETED}
    outputs = [collect_result(store, item.session_id).results["c"][0]["value"] for item in items]
    assert outputs == [(value + 10) * 2 for value in (1, 2, 3)] * 2
    sessions = {item.session_id: store.get_session(item.session_id) for item in items}
    assert len(sessions) == 6
    for item in items:
        session = sessions[item.session_id]
        assert (session.batch_id, session.queue_item_id) == (result.batch_id, item.item_id)
        assert session.status == COMPLETED
    # one stored graph per distinct set of values: runs share them
    assert store.info().counts["graphs"] == 3


def test_sessions_are_built_only_when_an_item_runs(store, manager):
    store.enqueue_batch(values_batch([1, 2, 3]), plugin_manager=manager)
    assert store.list_sessions() == []
    outcome = Worker(store, plugin_manager=manager).run_once()
    assert outcome is not None and outcome.status == COMPLETED
    [session] = store.list_sessions()
    assert session.session_id == outcome.session_id
    assert [item.status for item in store.list_items()] == [COMPLETED, UNINITIALIZED, UNINITIALIZED]


def test_a_failing_item_records_the_error_and_the_queue_goes_on(store, manager, tmp_path):
    (tmp_path / "fail").touch()
    batch = values_batch([1, 2, 3], "test_queue_log", fail_at=2, folder=str(tmp_path))
    store.enqueue_batch(batch, plugin_manager=manager)
    summary = run_all(store, manager)
    assert summary.counts == {COMPLETED: 2, FAILED: 1, CANCELED: 0}
    failed = store.list_items(status=FAILED)[0]
    assert failed.batch_index == 1
    assert failed.error == "node 'a' (test_queue_log): RuntimeError: failing on purpose at 2"
    assert store.get_session(failed.session_id).status == FAILED
    assert (tmp_path / "log").read_text().split() == ["1", "3"]


def test_retry_runs_a_failed_item_again_in_a_new_session(store, manager, tmp_path):
    (tmp_path / "fail").touch()
    batch = values_batch([1, 2, 3], "test_queue_log", fail_at=2, folder=str(tmp_path))
    store.enqueue_batch(batch, plugin_manager=manager)
    run_all(store, manager)
    failed = store.list_items(status=FAILED)[0]
    (tmp_path / "fail").unlink()
    assert store.retry_items([failed.item_id]) == 1
    assert store.get_item(failed.item_id).status == UNINITIALIZED
    assert run_all(store, manager).counts[COMPLETED] == 1
    again = store.get_item(failed.item_id)
    assert again.status == COMPLETED and again.error is None
    assert again.session_id != failed.session_id
    assert store.get_session(failed.session_id).status == FAILED  # the old session stays
    assert (tmp_path / "log").read_text().split() == ["1", "3", "2"]


def test_cancel_pending_never_touches_running_and_cancel_running_stops_it(store, manager, tmp_path):
    key = uuid.uuid4().hex
    control = queue_nodes.SPINS[key] = queue_nodes.SpinControl()
    batch = values_batch([0, 1, 2], "test_queue_spin", spin_at=0, key=key)
    store.enqueue_batch(batch, plugin_manager=manager)
    # another handle on the same database, as another process would have (memory: the same store)
    url = store.url
    admin = open_store(url, plugin_manager=manager) if url.startswith("sqlite") else store
    worker = Worker(store, plugin_manager=manager, cancel_check_interval=0)
    done: list = []
    thread = threading.Thread(target=lambda: done.append(worker.run(until_empty=True)))
    thread.start()
    try:
        assert control.started.wait(30)
        running, pending, last = admin.list_items()
        assert running.status == IN_PROGRESS
        assert admin.cancel_item(pending.item_id) is True
        # the worker checks its item at every progress report: give it several
        control.wait_for_steps(control.steps + 5)
        assert admin.get_item(running.item_id).status == IN_PROGRESS
        assert not control.release.is_set()
        assert admin.cancel_item(running.item_id) is True
        thread.join(30)
        assert not thread.is_alive()
    finally:
        control.release.set()
        thread.join(30)
        queue_nodes.SPINS.pop(key)
    [summary] = done
    assert summary.counts == {COMPLETED: 1, FAILED: 0, CANCELED: 1}
    running, pending, last = store.list_items()
    assert running.status == CANCELED
    assert store.get_session(running.session_id).status == CANCELED
    assert (pending.status, pending.session_id) == (CANCELED, None)  # never ran
    assert last.status == COMPLETED
    if admin is not store:
        admin.close()


def test_pause_and_resume(store, manager):
    store.enqueue_batch(values_batch([1, 2]), plugin_manager=manager)
    store.set_queue_paused("default", True)
    assert run_all(store, manager).processed == 0
    if store.url.startswith("sqlite"):  # persisted
        with open_store(store.url, plugin_manager=manager) as again:
            assert again.paused_queues() == ["default"]
            assert again.claim_item(worker="w") is None
    store.set_queue_paused("default", False)
    assert run_all(store, manager).processed == 2


def test_other_queues_wait_for_their_own_worker(store, manager):
    store.enqueue_batch(values_batch([1]), queue="gpu", plugin_manager=manager)
    assert run_all(store, manager).processed == 0
    assert run_all(store, manager, queue="gpu").processed == 1


class Recorder:
    """A plugin that reacts to every session's end, like an event forwarder would."""

    def __init__(self) -> None:
        self.seen: list[tuple] = []

    @hookimpl
    def after_session(self, session, status):
        self.seen.append((session.batch_id, session.queue_item_id, status))


def test_notices_from_sessions_outside_any_batch(store, manager, register_plugin_on):
    recorder = register_plugin_on(manager, Recorder(), "recorder")
    enqueued = store.enqueue_batch(values_batch([5]), plugin_manager=manager)
    with Worker(store, plugin_manager=manager) as worker:
        # a plain session ends while the queue's own hook is registered: neither fails
        plain = run_graph(chain_graph(value=1), store, plugin_manager=manager)
        assert plain.status == COMPLETED
        assert store.get_session(plain.session_id).batch_id is None
        assert [item.status for item in store.list_items()] == [UNINITIALIZED]
        outcome = worker.run_once()
    assert outcome is not None and outcome.status == COMPLETED
    [item] = store.list_items()
    assert recorder.seen == [
        (None, None, COMPLETED),
        (enqueued.batch_id, item.item_id, COMPLETED),
    ]
    assert item.status == COMPLETED
    assert "nodeloom-queue" not in " ".join(name for name, _ in manager.list_name_plugin())


def test_a_batch_whose_nodes_are_gone_fails_its_items_not_the_worker(store, manager, tmp_path):
    from nodeloom.plugins import make_plugin_manager

    batch = values_batch([1, 2], "test_queue_log", folder=str(tmp_path))
    store.enqueue_batch(batch, plugin_manager=manager)
    store.enqueue_batch(values_batch([7]), plugin_manager=manager)
    without_test_nodes = make_plugin_manager()
    summary = run_all(store, without_test_nodes)
    assert summary.counts == {COMPLETED: 1, FAILED: 2, CANCELED: 0}
    failed = store.list_items(status=FAILED)
    assert all("unknown node type 'test_queue_log'" in item.error for item in failed)
    assert all(item.error.startswith("cannot build the session") for item in failed)
