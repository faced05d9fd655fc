"""Engine figures for issue 3: per-node overhead on a 1,000-node chain, and iterate fan-out scaling.

Prints JSON. Each figure is the median of several runs after a warm-up, each run a new session
in a fresh store, with the SQLite store (file-backed, per-row commits) and the memory store.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nodeloom
from nodeloom.execute import run_graph
from nodeloom.graph.model import parse_graph
from nodeloom.storage import open_store


def edge(source: str, source_field: str, destination: str, destination_field: str) -> dict:
    return {
        "source": {"node_id": source, "field": source_field},
        "destination": {"node_id": destination, "field": destination_field},
    }


def chain(length: int) -> dict:
    nodes = {f"n{i}": {"id": f"n{i}", "type": "add", "b": 1} for i in range(length)}
    edges = [edge(f"n{i}", "value", f"n{i + 1}", "a") for i in range(length - 1)]
    return {"nodes": nodes, "edges": edges}


def fan_out(count: int) -> dict:
    return {
        "nodes": {
            "r": {"id": "r", "type": "range", "start": 0, "stop": count, "step": 1},
            "it": {"id": "it", "type": "iterate"},
            "add": {"id": "add", "type": "add", "b": 1},
            "c": {"id": "c", "type": "collect"},
        },
        "edges": [
            edge("r", "collection", "it", "collection"),
            edge("it", "item", "add", "a"),
            edge("add", "value", "c", "item"),
        ],
    }


def median_seconds(make_run, repeats: int) -> float:
    make_run()()  # warm-up
    times = []
    for _ in range(repeats):
        run = make_run()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    manager = nodeloom.make_plugin_manager()
    folder = Path(tempfile.mkdtemp(prefix="nodeloom-bench-"))
    counter = iter(range(10**6))

    def store_for(backend: str):
        url = (
            f"sqlite:///{folder / f'bench-{next(counter)}.db'}"
            if backend == "sqlite"
            else "memory://"
        )
        return open_store(url, plugin_manager=manager)

    def runner(data, backend, parsed=False):
        def make():
            store = store_for(backend)
            graph = parse_graph(data, manager.registry) if parsed else data
            return lambda: run_graph(graph, store, plugin_manager=manager)

        return make

    figures: dict[str, object] = {"python": sys.version.split()[0]}
    length = 1000
    for backend in ("sqlite", "memory"):
        whole = median_seconds(runner(chain(length), backend), 5)
        parsed = median_seconds(runner(chain(length), backend, parsed=True), 5)
        figures[f"chain_{length}_add_{backend}"] = {
            "from_json_data_s": round(whole, 4),
            "per_node_us_from_json_data": round(whole / length * 1e6, 1),
            "per_node_us_parsed_graph": round(parsed / length * 1e6, 1),
        }
        fan = {}
        for count in (800, 1000, 10_000):
            fan[str(count)] = round(
                median_seconds(runner(fan_out(count), backend), 5 if count < 10_000 else 3), 4
            )
        fan["ratio_10000_over_1000"] = round(fan["10000"] / fan["1000"], 2)
        figures[f"range_iterate_add_collect_{backend}_s"] = fan
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
