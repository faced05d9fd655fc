"""Running graphs as sessions: the Python API behind ``nodeloom run`` and ``sessions resume``.

``run_graph`` validates a graph, stores it with a new session and drives it with a
:class:`~nodeloom.runner.SessionRunner`; ``resume_session`` finishes an interrupted one.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nodeloom.context import Progress, SessionInfo
from nodeloom.runner import RunResult, SessionRunner
from nodeloom.storage.base import COMPLETED, FAILED

if TYPE_CHECKING:
    from nodeloom.graph.model import Graph
    from nodeloom.plugins import PluginManager
    from nodeloom.storage.base import Store


def collect_result(store: Store, session_id: str, rank: dict[str, int] | None = None) -> RunResult:
    """Read a session's outcome back from the store in ``run --json`` shape."""
    session = store.get_session(session_id)
    rows = store.get_results(session_id)
    rows.sort(key=lambda r: ((rank or {}).get(r.source_node_id, 0), r.iteration_path))
    results: dict[str, list[dict[str, Any]]] = {}
    errors = []
    for row in rows:
        if row.status == COMPLETED:
            results.setdefault(row.source_node_id, []).append(row.output or {})
        elif row.status == FAILED and row.error:
            errors.append(row.error)
    return RunResult(session_id=session_id, status=session.status, results=results, errors=errors)


def prepare_graph(graph: Graph | dict[str, Any], plugin_manager: PluginManager) -> Graph:
    """A validated Graph from a dict or a Graph; raises GraphValidationError listing every problem."""
    from nodeloom.graph.errors import GraphValidationError
    from nodeloom.graph.model import Graph as GraphModel
    from nodeloom.graph.model import parse_graph
    from nodeloom.graph.validate import validate_graph

    if isinstance(graph, GraphModel):
        errors = validate_graph(graph)
        if errors:
            raise GraphValidationError(errors)
        return graph
    return parse_graph(graph, plugin_manager.registry)


def missing_images(graph: Graph, artifacts: Any) -> list[Any]:
    """One GraphError per image a node names that the artifact store does not hold."""
    from nodeloom.fields import ImageField
    from nodeloom.graph.errors import GraphError

    problems = []
    for node_id, node in graph.nodes.items():
        for name in node.model_fields_set:
            value = getattr(node, name, None)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, ImageField) and not artifacts.has_image(item.image_name):
                    problems.append(
                        GraphError(
                            "missing_image",
                            f"image '{item.image_name}' does not exist in this store "
                            "(bring files in with 'nodeloom images import FILE')",
                            node_id,
                            name,
                        )
                    )
    return problems


def run_graph(
    graph: Graph | dict[str, Any],
    store: Store | None = None,
    *,
    plugin_manager: PluginManager | None = None,
    session_id: str | None = None,
    cancel_event: threading.Event | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_node: Callable[[str, str], None] | None = None,
) -> RunResult:
    """Validate, store and run a graph as a new session; returns its RunResult.

    Raises GraphValidationError (listing every problem) before anything is stored or run.
    """
    from nodeloom.plugins import get_plugin_manager
    from nodeloom.storage import open_store

    manager = plugin_manager or get_plugin_manager()
    validated = prepare_graph(graph, manager)
    store = store or open_store(plugin_manager=manager)
    problems = missing_images(validated, store.artifacts)
    if problems:
        from nodeloom.graph.errors import GraphValidationError

        raise GraphValidationError(problems)
    session_id = session_id or uuid.uuid4().hex
    graph_json = _graph_json(graph, validated)
    store.save_graph(validated.id, graph_json)
    store.create_session(session_id, validated.id)
    session = SessionInfo(session_id, validated.id)
    return _drive(
        validated, store, session, manager, cancel_event, on_progress, on_node, graph_json
    )


def resume_session(
    session_id: str,
    store: Store,
    *,
    plugin_manager: PluginManager | None = None,
    cancel_event: threading.Event | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_node: Callable[[str, str], None] | None = None,
) -> RunResult:
    """Finish a session that was interrupted (for example by a crash): what already ran is replayed."""
    from nodeloom.plugins import get_plugin_manager

    manager = plugin_manager or get_plugin_manager()
    record = store.get_session(session_id)
    graph = prepare_graph(json.loads(record.graph_json), manager)
    info = SessionInfo(
        session_id, record.graph_id, batch_id=record.batch_id, queue_item_id=record.queue_item_id
    )
    return _drive(
        graph, store, info, manager, cancel_event, on_progress, on_node, record.graph_json
    )


def _drive(
    graph: Graph,
    store: Store,
    session: SessionInfo,
    manager: PluginManager,
    cancel_event: threading.Event | None,
    on_progress: Callable[[Progress], None] | None,
    on_node: Callable[[str, str], None] | None,
    graph_json: str | None = None,
) -> RunResult:
    runner = SessionRunner(
        graph,
        store,
        session,
        plugin_manager=manager,
        cancel_event=cancel_event,
        on_progress=on_progress,
        on_node=on_node,
        graph_json=graph_json,
    )
    status = runner.run()
    if status != store.get_session(session.session_id).status:
        # The session had already ended (e.g. resumed after it finished): report what is stored.
        return collect_result(store, session.session_id, runner.plan.rank)
    return runner.result(status)


def _graph_json(data: Graph | dict[str, Any], validated: Graph) -> str:
    """The graph as stored with its session.

    Graph data as given serialises far faster than the parsed models and parses back the same;
    data holding Python objects (models built in code) goes through the models instead.
    """
    if isinstance(data, dict):
        try:
            return json.dumps({**data, "id": validated.id}, separators=(",", ":"))
        except (TypeError, ValueError):
            pass
    return validated.to_json()
