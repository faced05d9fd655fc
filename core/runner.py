"""The in-process runner: walks an execution plan, calls the lifecycle hooks, persists each result.

A session is driven to completion here. Every node execution gets a deterministic ``exec_id``
(source node id plus iteration path), so a session interrupted by a crash resumes by replaying
the stored results of what already ran and executing the rest.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nodeloom.context import CanceledError, InvocationContext, Progress, SessionInfo
from nodeloom.control import COLLECT, ITERATE, IterateInvocationOutput
from nodeloom.graph.plan import ExecutionPlan, Region, Scope, plan_graph
from nodeloom.storage.base import CANCELED, COMPLETED, FAILED, IN_PROGRESS, ResultRecord

if TYPE_CHECKING:
    from nodeloom.graph.model import Graph
    from nodeloom.invocation import BaseInvocation, BaseInvocationOutput
    from nodeloom.plugins import PluginManager
    from nodeloom.storage.base import Store

Path = tuple[int, ...]
logger = logging.getLogger("nodeloom")
#: The keys of each error in ``run --json`` (``traceback`` is added with ``--verbose``).
ERROR_KEYS = ("node_id", "node_type", "error_type", "message")
_ATOMIC = (int, float, str, bool, type(None))


@dataclass
class RunResult:
    """The outcome of a session, in the shape ``nodeloom run --json`` prints."""

    session_id: str
    status: str
    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self, verbose: bool = False) -> dict[str, Any]:
        keys = ERROR_KEYS + ("traceback",) if verbose else ERROR_KEYS
        errors = [{key: error.get(key) for key in keys} for error in self.errors]
        return {
            "session_id": self.session_id,
            "status": self.status,
            "results": self.results,
            "errors": errors,
        }


class _Stop(Exception):
    """Unwinds the region walk after a node error or a cancel."""

    def __init__(self, status: str) -> None:
        self.status = status


def _copy(value: Any) -> Any:
    return value if type(value) in _ATOMIC else copy.deepcopy(value)


class SessionRunner:
    """Runs one session of one graph against a store; create one per run."""

    def __init__(
        self,
        graph: Graph,
        store: Store,
        session: SessionInfo,
        *,
        plugin_manager: PluginManager,
        plan: ExecutionPlan | None = None,
        cancel_event: threading.Event | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_node: Callable[[str, str], None] | None = None,
        graph_json: str | None = None,
    ) -> None:
        self.graph = graph
        self.store = store
        self.session = session
        self.hook = plugin_manager.hook
        self.plan = plan or plan_graph(graph)
        self.cancel_event = cancel_event or threading.Event()
        self.on_progress = on_progress
        self.on_node = on_node
        self.graph_json = graph_json if graph_json is not None else graph.to_json()
        # (node id, path aligned to its scope) -> output object
        self.values: dict[tuple[str, Path], BaseInvocationOutput] = {}
        # iterate id, path of its own scope -> its collection
        self.collections: dict[tuple[str, Path], list[Any]] = {}
        self.replay: dict[str, ResultRecord] = {}
        self.errors: list[dict[str, Any]] = []
        self._base_values: dict[str, dict[str, Any]] = {}
        self._output_classes = {
            node_id: node.output_class() for node_id, node in graph.nodes.items()
        }
        # node id -> output JSON of each completed execution, in order, for the RunResult
        self.completed: dict[str, list[dict[str, Any]]] = {}

    # -- driving ---------------------------------------------------------------------------------

    def run(self) -> str:
        """Run (or resume) the session; returns the final status."""
        session_id = self.session.session_id
        self.replay = {
            r.exec_id: r for r in self.store.get_results(session_id) if r.status == COMPLETED
        }
        self.store.set_session_status(session_id, IN_PROGRESS)
        self._notify("before_session", session=self.session)
        status = COMPLETED
        self.writer = self.store.result_writer()
        try:
            self._run_region(self.plan.root, ())
        except _Stop as stop:
            status = stop.status
        except BaseException:
            self._close_writer_quietly()
            self.store.set_session_status(session_id, FAILED)
            raise
        self.writer.close()  # every result is durable before the session's state changes
        self.store.set_session_status(session_id, status)
        self._notify("after_session", session=self.session, status=status)
        return status

    def _notify(self, hook_name: str, **kwargs: Any) -> None:
        """Call a lifecycle notice plugin by plugin; a plugin that raises is logged, not fatal.

        A broken statistics or event plugin must not fail (or hide the outcome of) a session.
        """
        for impl in getattr(self.hook, hook_name).get_hookimpls():
            try:
                if impl.hookwrapper or impl.wrapper:
                    raise TypeError(f"'{hook_name}' is a notice; implement it without wrapper=True")
                impl.function(*(kwargs[name] for name in impl.argnames))
            except Exception as error:
                logger.warning(
                    "plugin '%s': hook %s failed in session %s: %s: %s",
                    impl.plugin_name,
                    hook_name,
                    self.session.session_id,
                    type(error).__name__,
                    error,
                )

    def _close_writer_quietly(self) -> None:
        # The error being raised already says what went wrong; a second one would hide it.
        with contextlib.suppress(Exception):
            self.writer.close()

    def _progress(self, report: Progress) -> None:
        # A node that reports progress is a long one: make what ran before it durable now.
        self.writer.flush()
        if self.on_progress is not None:
            self.on_progress(report)

    def _run_region(self, region: Region, path: Path) -> None:
        """Run a region's units for one combination of its enclosing iterations (``path``)."""
        for unit in region.units:
            if isinstance(unit, str):
                self._run_node(unit, path)
                continue
            iterator = unit.iterator
            assert iterator is not None
            collection = self.collections[
                (iterator, self._project(path, region.scope, self.plan.scopes[iterator]))
            ]
            for index in range(len(collection)):
                inner = (*path, index)
                self._run_iterate_item(iterator, inner, unit.scope)
                self._run_region(unit, inner)

    def _project(self, path: Path, scope: Scope, target: Scope) -> Path:
        """The part of ``path`` (aligned with ``scope``) that addresses a node in ``target`` scope."""
        if scope == target:
            return path
        where = {iterator: position for position, iterator in enumerate(scope)}
        return tuple(path[where[iterator]] for iterator in target)

    # -- one node --------------------------------------------------------------------------------

    def _run_node(self, node_id: str, path: Path) -> None:
        node = self.graph.nodes[node_id]
        scope = self.plan.scopes[node_id]
        if node.type == ITERATE:
            # The iterate itself only resolves its collection here; its per-item outputs are
            # produced as each iteration starts.
            values = self._inputs(node_id, path, scope)
            collection = values["collection"] if "collection" in values else list(node.collection)
            self.collections[(node_id, path)] = _copy(collection)
            return
        if node.type == COLLECT:
            inputs = {"collection": self._collected(node_id, path, scope)}
        else:
            inputs = self._inputs(node_id, path, scope)
        self._execute(node_id, path, inputs)

    def _run_iterate_item(self, iterator: str, inner_path: Path, inner_scope: Scope) -> None:
        """Produce an iterate's output for one item; the engine computes it (no invoke, no hooks)."""
        own_scope = (*self.plan.scopes[iterator], iterator)
        item_path = self._project(inner_path, inner_scope, own_scope)
        if (iterator, item_path) in self.values:
            return
        collection = self.collections[(iterator, item_path[:-1])]
        index = item_path[-1]
        output = IterateInvocationOutput.model_construct(
            type="iterate_output", item=_copy(collection[index]), index=index, total=len(collection)
        )
        exec_id = self._exec_id(iterator, item_path)
        if exec_id not in self.replay:
            now = time.time()
            self._persist(
                iterator, exec_id, item_path, ITERATE, output.model_dump(mode="json"), now, now
            )
        self.values[(iterator, item_path)] = output

    def _inputs(self, node_id: str, path: Path, scope: Scope) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for edge in self.plan.inputs.get(node_id, ()):
            values[edge.destination_field] = _copy(
                self._output_value(edge.source_node, edge.source_field, path, scope)
            )
        return values

    def _output_value(self, source: str, field_name: str, path: Path, scope: Scope) -> Any:
        source_scope = self.plan.scopes[source]
        if self.graph.nodes[source].type == ITERATE:
            source_scope = (*source_scope, source)
        output = self.values[(source, self._project(path, scope, source_scope))]
        return getattr(output, field_name)

    def _collected(self, node_id: str, path: Path, scope: Scope) -> list[Any]:
        closed = self.plan.closes.get(node_id)
        edges = self.plan.inputs.get(node_id, ())
        if closed is None:
            return [
                _copy(self._output_value(e.source_node, e.source_field, path, scope)) for e in edges
            ]
        inner_scope = (*scope, closed)
        collection = self.collections.get(
            (closed, self._project(path, scope, self.plan.scopes[closed])), []
        )
        items = []
        for index in range(len(collection)):
            inner = (*path, index)
            for edge in edges:
                items.append(
                    _copy(
                        self._output_value(edge.source_node, edge.source_field, inner, inner_scope)
                    )
                )
        return items

    def _invocation(self, node_id: str, inputs: dict[str, Any]) -> BaseInvocation:
        node = self.graph.nodes[node_id]
        base = self._base_values.get(node_id)
        if base is None:
            base = {name: getattr(node, name) for name in node.model_fields_set}
            base["id"] = node.id
            self._base_values[node_id] = base
        data = {name: _copy(value) for name, value in base.items()}
        data.update(inputs)
        return type(node).model_validate(data)

    def _execute(self, node_id: str, path: Path, inputs: dict[str, Any]) -> None:
        if self.cancel_event.is_set():
            raise _Stop(CANCELED)
        exec_id = self._exec_id(node_id, path)
        node = self.graph.nodes[node_id]
        replayed = self.replay.get(exec_id)
        if replayed is not None:
            self.values[(node_id, path)] = self._output_classes[node_id].model_validate(
                replayed.output
            )
            self.completed.setdefault(node_id, []).append(replayed.output or {})
            return
        started = time.time()
        context = InvocationContext(
            session_id=self.session.session_id,
            node_id=exec_id,
            source_node_id=node_id,
            artifacts=self.store.artifacts,
            graph_json=self.graph_json,
            cancel_event=self.cancel_event,
            on_progress=self._progress,
        )
        invocation: BaseInvocation | None = None
        try:
            invocation = self._invocation(node_id, inputs)
            output = self.hook.execute_node(invocation=invocation, context=context)
            expected = self._output_classes[node_id]
            if not isinstance(output, expected):
                raise TypeError(
                    f"invoke returned {type(output).__name__}, expected {expected.__name__}"
                )
            output_json = output.model_dump(mode="json")
        except CanceledError:
            raise _Stop(CANCELED) from None
        except Exception as error:
            self._record_error(
                node_id, exec_id, path, node.type, error, started, invocation, context
            )
            raise _Stop(FAILED) from None
        self.values[(node_id, path)] = output
        self._persist(node_id, exec_id, path, node.type, output_json, started, time.time())
        self._notify("after_node", invocation=invocation, context=context, output=output)
        if self.on_node is not None:
            self.on_node(node_id, exec_id)

    @staticmethod
    def _exec_id(node_id: str, path: Path) -> str:
        return node_id if not path else f"{node_id}[{'.'.join(map(str, path))}]"

    def _persist(
        self,
        node_id: str,
        exec_id: str,
        path: Path,
        node_type: str,
        output: dict[str, Any],
        started: float,
        ended: float,
    ) -> None:
        self.completed.setdefault(node_id, []).append(output)
        self.writer.add(
            ResultRecord(
                session_id=self.session.session_id,
                exec_id=exec_id,
                source_node_id=node_id,
                node_type=node_type,
                iteration_path=list(path),
                status=COMPLETED,
                output=output,
                started_at=started,
                finished_at=ended,
            )
        )

    def _record_error(
        self,
        node_id: str,
        exec_id: str,
        path: Path,
        node_type: str,
        error: Exception,
        started: float,
        invocation: BaseInvocation | None,
        context: InvocationContext,
    ) -> None:
        details = {
            "node_id": node_id,
            "exec_id": exec_id,
            "node_type": node_type,
            "error_type": type(error).__name__,
            "message": str(error),
            "traceback": "".join(traceback.format_exception(error)),
        }
        self.errors.append(details)
        self.writer.add(
            ResultRecord(
                session_id=self.session.session_id,
                exec_id=exec_id,
                source_node_id=node_id,
                node_type=node_type,
                iteration_path=list(path),
                status=FAILED,
                error=details,
                started_at=started,
                finished_at=time.time(),
            )
        )
        if invocation is not None:
            self._notify("on_node_error", invocation=invocation, context=context, error=error)

    def result(self, status: str) -> RunResult:
        """The outcome in ``run --json`` shape, built from what this run saw (no re-read)."""
        # A node's executions happen in iteration order; only the nodes need ordering.
        results = {
            node_id: self.completed[node_id]
            for node_id in sorted(self.completed, key=self.plan.rank.get)
        }
        return RunResult(self.session.session_id, status, results, list(self.errors))
