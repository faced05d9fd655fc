"""Cost of enqueueing batches and of working through them on file-backed SQLite; prints JSON.

* ``enqueue_5000``: ``store.enqueue_batch`` of a 5,000-session batch (one datum of 5,000 ints
  on a 3-node graph), validation included, each into a fresh database opened by a fresh
  store; the median of ``--runs`` databases. Its floor is a raw ``sqlite3`` ``executemany`` of
  5,000 minimal rows (batch id, index, status, priority) in one transaction, measured in the
  same run on fresh databases too. Targets: <= 25 ms and <= 3x the floor.
* ``enqueue_100000``: the same with 100,000 sessions; time (target <= 0.5 s) and the peak
  memory allocated while enqueueing, traced in a separate run (target <= 50 MB).
* ``worker``: one worker running 1,000 trivial 3-node sessions of a batch, sessions per second
  (target >= 300).

    python benchmarks/enqueue.py [--runs 5] [--sessions 1000]
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

from nodeloom.plugins import get_plugin_manager
from nodeloom.queue import Worker
from nodeloom.storage.sqlite import SqliteStore


def batch(count: int) -> dict[str, Any]:
    """a (integer) -> b (add 10) -> c (mul 2), with one datum of ``count`` ints for 'a.value'."""

    def edge(source: str, destination: str, field: str) -> dict[str, Any]:
        return {
            "source": {"node_id": source, "field": "value"},
            "destination": {"node_id": destination, "field": field},
        }

    return {
        "graph": {
            "id": "bench",
            "nodes": {
                "a": {"id": "a", "type": "integer", "value": 0},
                "b": {"id": "b", "type": "add", "b": 10},
                "c": {"id": "c", "type": "mul", "b": 2},
            },
            "edges": [edge("a", "b", "a"), edge("b", "c", "a")],
        },
        "data": [[{"node_path": "a", "field_name": "value", "items": list(range(count))}]],
        "runs": 1,
    }


def fresh_store(root: Path) -> SqliteStore:
    folder = Path(tempfile.mkdtemp(dir=root))
    return SqliteStore(f"sqlite:///{folder / 'queue.db'}")


def enqueue_ms(root: Path, count: int, manager: Any) -> float:
    data = batch(count)
    with fresh_store(root) as store:
        start = time.perf_counter()
        result = store.enqueue_batch(data, max_queue_size=count, plugin_manager=manager)
        elapsed = time.perf_counter() - start
        assert result.enqueued == count
    return elapsed * 1000


def floor_ms(root: Path, count: int) -> float:
    """A raw sqlite3 executemany of ``count`` minimal rows in one transaction, fresh database."""
    folder = Path(tempfile.mkdtemp(dir=root))
    connection = sqlite3.connect(folder / "raw.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(
        "CREATE TABLE items (batch_id TEXT, batch_index INTEGER, status TEXT, priority INTEGER)"
    )
    batch_id = uuid.uuid4().hex
    start = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        "INSERT INTO items VALUES (?, ?, ?, ?)",
        ((batch_id, index, "uninitialized", 0) for index in range(count)),
    )
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed * 1000


def enqueue_peak_mb(root: Path, count: int, manager: Any) -> tuple[float, float]:
    """Peak traced allocation (MB) while enqueueing, and the process's max RSS growth (MB)."""
    data = batch(count)
    with fresh_store(root) as store:
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        store.enqueue_batch(data, max_queue_size=count, plugin_manager=manager)
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6, (rss_after - rss_before) / 1e3  # ru_maxrss is in KiB on Linux


def worker_rate(root: Path, sessions: int, manager: Any) -> tuple[float, float]:
    """Sessions per second (and total seconds) of one worker running a batch of ``sessions``."""
    with fresh_store(root) as store:
        store.enqueue_batch(batch(sessions), max_queue_size=sessions, plugin_manager=manager)
        worker = Worker(store, plugin_manager=manager)
        start = time.perf_counter()
        summary = worker.run(until_empty=True)
        elapsed = time.perf_counter() - start
        assert summary.counts["completed"] == sessions, summary.counts
    return sessions / elapsed, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=1000)
    options = parser.parse_args()
    manager = get_plugin_manager()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        enqueue_ms(root, 5000, manager)  # warm-up: imports, pydantic adapters
        floor_ms(root, 5000)
        enqueue_runs, floor_runs = [], []
        for _ in range(options.runs):  # interleaved, so both see the same machine state
            enqueue_runs.append(enqueue_ms(root, 5000, manager))
            floor_runs.append(floor_ms(root, 5000))
        enqueue_5000 = statistics.median(enqueue_runs)
        floor_5000 = statistics.median(floor_runs)
        # traced first: max RSS is a high-water mark, so growth shows only before other 100k runs
        traced_mb, rss_mb = enqueue_peak_mb(root, 100_000, manager)
        large_runs = [enqueue_ms(root, 100_000, manager) for _ in range(3)]
        rate, seconds = worker_rate(root, options.sessions, manager)
    figures = {
        "enqueue_5000": {
            "median_ms": round(enqueue_5000, 2),
            "runs_ms": [round(value, 2) for value in enqueue_runs],
            "floor_median_ms": round(floor_5000, 2),
            "floor_runs_ms": [round(value, 2) for value in floor_runs],
            "ratio_to_floor": round(enqueue_5000 / floor_5000, 2),
            "target_ms": 25,
            "target_ratio": 3,
        },
        "enqueue_100000": {
            "median_s": round(statistics.median(large_runs) / 1000, 3),
            "runs_s": [round(value / 1000, 3) for value in large_runs],
            "peak_traced_mb": round(traced_mb, 1),
            "max_rss_growth_mb": round(rss_mb, 1),
            "target_s": 0.5,
            "target_mb": 50,
        },
        "worker": {
            "sessions": options.sessions,
            "seconds": round(seconds, 3),
            "sessions_per_s": round(rate, 1),
            "target_sessions_per_s": 300,
        },
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
