"""Workers in separate processes on one SQLite database: exactly once, and recovery after kill -9."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import queue_nodes
from queue_builders import values_batch

from nodeloom.queue import DIED_MESSAGE, Worker
from nodeloom.storage import open_store
from nodeloom.storage.base import COMPLETED, FAILED, IN_PROGRESS, UNINITIALIZED

HERE = Path(__file__).parent


def test_two_worker_processes_run_200_items_exactly_once(tmp_path, sqlite_url, manager):
    batch = values_batch(range(200), "test_queue_log", folder=str(tmp_path))
    with open_store(sqlite_url, plugin_manager=manager) as store:
        assert store.enqueue_batch(batch, plugin_manager=manager).enqueued == 200
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    workers = [
        context.Process(target=queue_nodes.work_in_child, args=(sqlite_url, start))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0, 0]

    logged = [int(line) for line in (tmp_path / "log").read_text().split()]
    assert sorted(logged) == list(range(200))  # every item ran, none twice
    with open_store(sqlite_url, plugin_manager=manager) as store:
        items = store.list_items(limit=1000)
        assert {item.status for item in items} == {COMPLETED}
        sessions = store.list_sessions(limit=1000)
        assert len(sessions) == 200
        assert sorted(s.queue_item_id for s in sessions) == sorted(i.item_id for i in items)
        pids = {item.worker.split(":")[1] for item in items}
        assert pids == {str(worker.pid) for worker in workers}  # both took part


def test_kill_9_mid_item_then_the_next_worker_recovers(tmp_path, sqlite_url, manager):
    folder = tmp_path / "work"
    folder.mkdir()
    os.mkfifo(folder / "fifo")
    (folder / "block").touch()
    batch = values_batch(range(4), "test_queue_gate", stop_at=2, folder=str(folder))
    with open_store(sqlite_url, plugin_manager=manager) as store:
        store.enqueue_batch(batch, plugin_manager=manager)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    child = subprocess.Popen(
        [sys.executable, str(HERE / "queue_nodes.py"), "queue", "work", "--until-empty"]
        + ["--db", sqlite_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        with open(folder / "fifo") as fifo:  # returns once the node of item 3 is running
            assert fifo.read() == str(child.pid)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL

    store = open_store(sqlite_url, plugin_manager=manager)
    first, second, stuck, last = store.list_items()
    assert (first.status, second.status, last.status) == (COMPLETED, COMPLETED, UNINITIALIZED)
    assert stuck.status == IN_PROGRESS and stuck.worker.split(":")[1] == str(child.pid)
    assert store.get_session(stuck.session_id).status == IN_PROGRESS

    (folder / "block").unlink()
    with Worker(store, plugin_manager=manager) as worker:  # a worker start applies the rule
        assert worker.recovered == [stuck.item_id]
        recovered = store.get_item(stuck.item_id)
        assert recovered.status == FAILED
        assert recovered.error == DIED_MESSAGE.format(worker=stuck.worker, item_id=stuck.item_id)
        assert "worker died" in recovered.error
        assert store.get_session(stuck.session_id).status == FAILED
        summary = worker.run(until_empty=True)
    assert summary.counts[COMPLETED] == 1  # the rest of the queue went on
    assert store.retry_items([stuck.item_id]) == 1
    assert Worker(store, plugin_manager=manager).run(until_empty=True).counts[COMPLETED] == 1
    assert {item.status for item in store.list_items()} == {COMPLETED}
    store.close()


def test_a_live_worker_in_another_process_is_not_recovered(sqlite_url, manager):
    with open_store(sqlite_url, plugin_manager=manager) as store:
        store.enqueue_batch(values_batch([1]), plugin_manager=manager)
        parent = os.getppid()  # alive, and on this host
        import socket

        from nodeloom.queue.recovery import process_start

        identity = f"{socket.gethostname()}:{parent}:{process_start(parent) or '-'}:1"
        item = store.claim_item(worker=identity)
        other_host = store.enqueue_batch(values_batch([2]), plugin_manager=manager)
        store.claim_item(worker="elsewhere:1:-:1")
        with Worker(store, plugin_manager=manager) as worker:
            assert worker.recovered == []
        assert store.get_item(item.item_id).status == IN_PROGRESS
        assert store.list_items(batch_id=other_host.batch_id)[0].status == IN_PROGRESS
