"""Batch builders shared by the queue tests."""

from __future__ import annotations

from helpers import edge, graph


def chain_graph(node_type: str = "integer", **fields) -> dict:
    """a (``node_type``) -> b (add 10) -> c (mul 2): a 3-node graph whose 'a.value' batches set."""
    first = {"type": node_type, **fields}
    if node_type == "integer":
        first.setdefault("value", 0)
    return graph(
        {"a": first, "b": {"type": "add", "b": 10}, "c": {"type": "mul", "b": 2}},
        [edge("a", "value", "b", "a"), edge("b", "value", "c", "a")],
    )


def values_batch(items, node_type: str = "integer", runs: int = 1, **fields) -> dict:
    return {
        "graph": chain_graph(node_type, **fields),
        "data": [[{"node_path": "a", "field_name": "value", "items": list(items)}]],
        "runs": runs,
    }
