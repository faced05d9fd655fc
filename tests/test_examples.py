"""The graphs in examples/ validate and run, so the README's main job stays true."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nodeloom
from nodeloom.graph.load import load_graph_file

EXAMPLES = Path(__file__).parent.parent / "examples"
GRAPHS = sorted(path for path in EXAMPLES.glob("*.json") if "batch" not in path.name)


@pytest.mark.parametrize("path", GRAPHS, ids=lambda path: path.name)
def test_example_runs(path, tmp_path):
    manager = nodeloom.make_plugin_manager()
    graph = load_graph_file(path, manager.registry)
    store = nodeloom.open_store(f"sqlite:///{tmp_path / 'x.db'}", plugin_manager=manager)
    result = nodeloom.run_graph(graph, store=store, plugin_manager=manager)
    assert result.status == "completed", result.errors
    store.close()


def test_main_job_result(tmp_path):
    manager = nodeloom.make_plugin_manager()
    data = json.loads((EXAMPLES / "iterate_collect.json").read_text())
    store = nodeloom.open_store("memory://", plugin_manager=manager)
    result = nodeloom.run_graph(data, store=store, plugin_manager=manager)
    assert result.results["c"][0]["collection"] == [0, 10, 20]


def test_nested_grid_collects_one_list_per_row(tmp_path):
    manager = nodeloom.make_plugin_manager()
    data = json.loads((EXAMPLES / "nested_grid.json").read_text())
    result = nodeloom.run_graph(
        data, store=nodeloom.open_store("memory://", plugin_manager=manager), plugin_manager=manager
    )
    assert result.results["grid"][0]["collection"] == [
        [0, 1, 2, 3],
        [10, 11, 12, 13],
        [20, 21, 22, 23],
    ]
