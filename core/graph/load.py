"""Reading graph files: JSON errors with file, line and column; duplicate keys caught."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nodeloom.graph.errors import GraphError, GraphValidationError

if TYPE_CHECKING:
    from nodeloom.graph.model import Graph
    from nodeloom.registry import Registry


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def read_json_file(path: str | os.PathLike[str], what: str = "file") -> Any:
    """Load a JSON file; problems raise GraphValidationError naming the file, line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GraphValidationError(
            [GraphError("file_not_found", f"{path}: no such {what}")]
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise GraphValidationError(
            [GraphError("unreadable_file", f"{path}: cannot read {what}: {error}")]
        ) from None
    return parse_json_text(text, str(path))


def parse_json_text(text: str, origin: str = "<input>") -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as error:
        code = "duplicate_key"
        raise GraphValidationError(
            [
                GraphError(
                    code,
                    f"{origin}: key '{error.key}' appears twice in one object (node ids must be unique)",
                )
            ]
        ) from None
    except json.JSONDecodeError as error:
        raise GraphValidationError(
            [
                GraphError(
                    "invalid_json",
                    f"{origin}:{error.lineno}:{error.colno}: malformed JSON: {error.msg}",
                )
            ]
        ) from None


def check_graph_data(data: Any, registry: Registry) -> tuple[Graph | None, list[GraphError]]:
    """Parse and validate graph data; returns the graph (None if unusable) and every problem."""
    from nodeloom.graph.model import parse_graph_data
    from nodeloom.graph.validate import validate_parsed
    from nodeloom.util import gc_paused

    with gc_paused():
        graph, errors, classes = parse_graph_data(data, registry)
    if graph is not None:
        errors.extend(
            validate_parsed(graph, classes, data.get("nodes", {}) if isinstance(data, dict) else {})
        )
    return graph, errors


def load_graph_file(path: str | os.PathLike[str], registry: Registry) -> Graph:
    """Read, parse and validate a graph file; raises GraphValidationError listing every problem."""
    graph, errors = check_graph_data(read_json_file(path, "graph file"), registry)
    if errors:
        raise GraphValidationError(errors)
    assert graph is not None
    return graph
