"""Validation figures for issue 2: a 10,000-node chain, parsed and validated.

Prints JSON: the median of 5 runs (after a warm-up) of validating an already-parsed chain, and
of parsing + validating it from JSON data, as ``nodeloom validate`` and ``nodeloom run`` do.
"""

from __future__ import annotations

import json
import statistics
import time

import nodeloom
from nodeloom.graph.load import check_graph_data
from nodeloom.graph.model import parse_graph
from nodeloom.graph.validate import validate_graph


def chain(length: int) -> dict:
    nodes = {f"n{i}": {"id": f"n{i}", "type": "add", "b": 1} for i in range(length)}
    edges = [
        {
            "source": {"node_id": f"n{i}", "field": "value"},
            "destination": {"node_id": f"n{i + 1}", "field": "a"},
        }
        for i in range(length - 1)
    ]
    return {"nodes": nodes, "edges": edges}


def median(function, repeats: int = 5) -> float:
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    registry = nodeloom.make_plugin_manager().registry
    figures = {}
    for length in (5_000, 10_000):
        data = chain(length)
        graph = parse_graph(data, registry)

        def validate_only(graph=graph) -> None:
            assert validate_graph(graph) == []

        def parse_and_validate(data=data) -> None:
            assert check_graph_data(data, registry)[1] == []

        figures[f"chain_{length}"] = {
            "validate_parsed_graph_s": round(median(validate_only), 4),
            "parse_and_validate_s": round(median(parse_and_validate), 4),
        }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
