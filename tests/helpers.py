"""Small builders shared by tests (importable because pytest puts tests/ on sys.path)."""

from __future__ import annotations


def edge(source: str, source_field: str, destination: str, destination_field: str) -> dict:
    return {
        "source": {"node_id": source, "field": source_field},
        "destination": {"node_id": destination, "field": destination_field},
    }


def graph(nodes: dict[str, dict], edges: list[dict] | None = None) -> dict:
    """Graph data with each node's id filled in from its key (insertion order kept)."""
    return {
        "nodes": {key: {"id": key, **value} for key, value in nodes.items()},
        "edges": edges or [],
    }
