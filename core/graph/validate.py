"""Whole-graph validation: every structural and type problem, found iteratively and reported at once."""

from __future__ import annotations

from collections import defaultdict, deque
from typing import TYPE_CHECKING, Any

from nodeloom.control import COLLECT, ITERATE
from nodeloom.graph.errors import GraphError
from nodeloom.graph.types import (
    common_type,
    element_type,
    is_assignable,
    list_of,
    mismatch_hint,
    type_name,
)
from nodeloom.invocation import RESERVED_FIELDS, BaseInvocation
from nodeloom.util import gc_paused

if TYPE_CHECKING:
    from nodeloom.graph.model import Edge, Graph

#: Inputs the engine fills in itself; no edge may feed them.
ENGINE_FIELDS = {ITERATE: {"index"}, COLLECT: {"collection"}}

_output_types: dict[type, dict[str, Any]] = {}
_input_types: dict[type, dict[str, Any]] = {}


def output_types(cls: type[BaseInvocation]) -> dict[str, Any]:
    """Annotation of every output field of a node class (``type`` excluded)."""
    found = _output_types.get(cls)
    if found is None:
        output = cls.output_class()
        found = {
            name: info.annotation for name, info in output.model_fields.items() if name != "type"
        }
        _output_types[cls] = found
    return found


def input_types(cls: type[BaseInvocation]) -> dict[str, Any]:
    """Annotation of every input field of a node class (reserved fields excluded)."""
    found = _input_types.get(cls)
    if found is None:
        found = {name: info.annotation for name, info in cls.input_fields().items()}
        _input_types[cls] = found
    return found


def validate_graph(graph: Graph) -> list[GraphError]:
    """Every problem of an already-built graph (empty list: the graph is valid)."""
    return validate_parsed(
        graph, {node_id: type(node) for node_id, node in graph.nodes.items()}, {}
    )


def validate_parsed(
    graph: Graph, classes: dict[str, type[BaseInvocation]], raw_nodes: dict[str, Any]
) -> list[GraphError]:
    """Validate the structure of a parsed graph.

    ``classes`` also holds nodes whose values failed to parse (already reported), so edges to
    them are still checked; ``raw_nodes`` tells which ids exist at all (unknown types included).
    """
    known_ids = set(classes) | (set(raw_nodes) if isinstance(raw_nodes, dict) else set())
    return _Validator(graph.nodes, classes, known_ids, graph.edges).run()


def check_new_edge(graph: Graph, edge: Edge) -> list[GraphError]:
    """Problems that adding ``edge`` would introduce (used by ``Graph.add_edge``)."""
    classes = {node_id: type(node) for node_id, node in graph.nodes.items()}
    before = set(_Validator(graph.nodes, classes, set(classes), graph.edges).run())
    after = _Validator(graph.nodes, classes, set(classes), [*graph.edges, edge]).run()
    return [error for error in after if error not in before and error.code != "missing_input"]


class _Validator:
    def __init__(
        self,
        nodes: dict[str, BaseInvocation],
        classes: dict[str, type[BaseInvocation]],
        known_ids: set[str],
        edges: list[Edge],
    ) -> None:
        self.nodes = nodes
        self.classes = classes
        self.known_ids = known_ids
        self.edges = edges
        self.errors: list[GraphError] = []
        # (node id, input field) -> edges into it
        self.incoming: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        # inputs some edge points at, usable or not (a broken edge already says what is wrong)
        self.targeted: set[tuple[str, str]] = set()
        self.incoming_by_node: dict[str, list[Edge]] = defaultdict(list)
        self.successors: dict[str, list[str]] = defaultdict(list)
        self.types: dict[str, dict[str, Any]] = {}

    def error(
        self, code: str, message: str, node_id: str | None = None, field: str | None = None
    ) -> None:
        self.errors.append(GraphError(code, message, node_id, field))

    def run(self) -> list[GraphError]:
        with gc_paused():
            self.check_edges()
            self.check_input_counts()
            order = self.topological_order()
            self.check_types(order)
            self.check_required_inputs()
        return self.errors

    # -- structure -------------------------------------------------------------------------------

    def check_edges(self) -> None:
        seen: set[tuple[str, str, str, str]] = set()
        for edge in self.edges:
            source, destination = edge.source, edge.destination
            usable = True
            self.targeted.add((destination.node_id, destination.field))
            for end, role in ((source, "source"), (destination, "destination")):
                if end.node_id not in self.known_ids:
                    self.error(
                        "edge_missing_node",
                        f"edge {edge}: {role} node '{end.node_id}' does not exist",
                        end.node_id,
                        end.field,
                    )
                    usable = False
                elif end.node_id not in self.classes:
                    usable = False  # unknown node type, already reported
            if not usable:
                continue
            source_class = self.classes[source.node_id]
            outputs = output_types(source_class)
            if source.field not in outputs:
                self.error(
                    "edge_missing_field",
                    f"edge {edge}: '{source_class.node_type}' has no output '{source.field}' "
                    f"(outputs: {', '.join(outputs) or 'none'})",
                    source.node_id,
                    source.field,
                )
                usable = False
            destination_class = self.classes[destination.node_id]
            inputs = input_types(destination_class)
            if destination.field not in inputs:
                what = "a reserved field" if destination.field in RESERVED_FIELDS else "no input"
                self.error(
                    "edge_missing_field",
                    f"edge {edge}: '{destination_class.node_type}' has {what} '{destination.field}' "
                    f"(inputs: {', '.join(inputs) or 'none'})",
                    destination.node_id,
                    destination.field,
                )
                usable = False
            elif destination.field in ENGINE_FIELDS.get(destination_class.node_type, ()):
                self.error(
                    "engine_field",
                    f"edge {edge}: '{destination.field}' is filled in by the engine",
                    destination.node_id,
                    destination.field,
                )
                usable = False
            key = (source.node_id, source.field, destination.node_id, destination.field)
            if key in seen:
                self.error(
                    "duplicate_edge",
                    f"edge {edge} appears more than once",
                    destination.node_id,
                    destination.field,
                )
                continue
            seen.add(key)
            if usable:
                self.incoming[(destination.node_id, destination.field)].append(edge)
                self.incoming_by_node[destination.node_id].append(edge)
                self.successors[source.node_id].append(destination.node_id)

    def check_input_counts(self) -> None:
        for (node_id, field), edges in self.incoming.items():
            if len(edges) > 1 and not (
                self.classes[node_id].node_type == COLLECT and field == "item"
            ):
                sources = ", ".join(f"'{e.source.node_id}.{e.source.field}'" for e in edges)
                self.error(
                    "multiple_inputs",
                    f"input has {len(edges)} incoming edges ({sources}); only a "
                    "collect node's 'item' takes more than one",
                    node_id,
                    field,
                )

    def topological_order(self) -> list[str]:
        """Kahn's algorithm over the usable edges; nodes left over lie on cycles and are reported."""
        indegree: dict[str, int] = dict.fromkeys(self.classes, 0)
        for targets in self.successors.values():
            for target in targets:
                indegree[target] += 1
        ready = deque(node_id for node_id, degree in indegree.items() if degree == 0)
        order = []
        while ready:
            node_id = ready.popleft()
            order.append(node_id)
            for target in self.successors.get(node_id, ()):
                indegree[target] -= 1
                if indegree[target] == 0:
                    ready.append(target)
        if len(order) < len(indegree):
            self.report_cycles({node_id for node_id, degree in indegree.items() if degree > 0})
        return order

    def report_cycles(self, remaining: set[str]) -> None:
        reported: set[str] = set()
        for start in sorted(remaining):
            if start in reported:
                continue
            # Walk backwards along edges inside the remaining set: every node there has a
            # predecessor there, so the walk must revisit a node, closing a cycle.
            path: list[str] = []
            position: dict[str, int] = {}
            node_id = start
            while node_id not in position:
                position[node_id] = len(path)
                path.append(node_id)
                node_id = next(
                    edge.source.node_id
                    for edge in self.incoming_by_node[node_id]
                    if edge.source.node_id in remaining
                )
            cycle = list(reversed(path[position[node_id] :]))
            if reported.intersection(cycle):
                reported.update(path)
                continue
            reported.update(path)
            loop = " -> ".join([*cycle, cycle[0]])
            self.error("cycle", f"the graph has a cycle: {loop}", cycle[0])

    # -- types -----------------------------------------------------------------------------------

    def source_type(self, edge: Edge) -> Any:
        return self.types.get(edge.source.node_id, {}).get(edge.source.field, Any)

    def check_types(self, order: list[str]) -> None:
        for node_id in order:
            cls = self.classes[node_id]
            node_type = cls.node_type
            if node_type == ITERATE:
                self.types[node_id] = self.iterate_types(node_id)
                continue
            if node_type == COLLECT:
                self.types[node_id] = self.collect_types(node_id)
                continue
            inputs = input_types(cls)
            for edge in self.incoming_by_node.get(node_id, ()):
                field = edge.destination.field
                source_type, destination_type = self.source_type(edge), inputs[field]
                if is_assignable(source_type, destination_type):
                    continue
                source_kind = self.classes[edge.source.node_id].node_type
                code = {ITERATE: "iterator_output", COLLECT: "collector_output"}.get(
                    source_kind, "type_mismatch"
                )
                hint = mismatch_hint(source_type, destination_type)
                self.error(
                    code,
                    f"expected {type_name(destination_type)}, got {type_name(source_type)} from "
                    f"'{edge.source.node_id}.{edge.source.field}'" + (f" ({hint})" if hint else ""),
                    node_id,
                    field,
                )
            self.types[node_id] = output_types(cls)

    def iterate_types(self, node_id: str) -> dict[str, Any]:
        item: Any = Any
        edges = self.incoming.get((node_id, "collection"), [])
        if edges:
            edge = edges[0]
            source_type = self.source_type(edge)
            element = element_type(source_type)
            if element is None:
                self.error(
                    "iterator_input",
                    f"iterate needs a list, got {type_name(source_type)} from "
                    f"'{edge.source.node_id}.{edge.source.field}'",
                    node_id,
                    "collection",
                )
            else:
                item = element
        else:
            node = self.nodes.get(node_id)
            if node is not None and "collection" not in node.model_fields_set:
                self.error(
                    "iterator_input",
                    "iterate has no collection: connect a list to 'collection'",
                    node_id,
                    "collection",
                )
        return {"item": item, "index": int, "total": int}

    def collect_types(self, node_id: str) -> dict[str, Any]:
        edges = self.incoming.get((node_id, "item"), [])
        if not edges:
            self.error(
                "collector_input",
                "collect has no input: connect the items to collect to 'item'",
                node_id,
                "item",
            )
            return {"collection": list[Any]}
        item_types = [self.source_type(edge) for edge in edges]
        common = common_type(item_types)
        if common is None:
            found = ", ".join(
                f"{type_name(t)} from '{e.source.node_id}.{e.source.field}'"
                for t, e in zip(item_types, edges, strict=True)
            )
            self.error(
                "collector_input",
                f"collected items must share one type, got {found}",
                node_id,
                "item",
            )
            return {"collection": list[Any]}
        return {"collection": list_of(common)}

    # -- values ----------------------------------------------------------------------------------

    def check_required_inputs(self) -> None:
        for node_id, node in self.nodes.items():
            for field in type(node).node_required_inputs:
                if getattr(node, field, None) is None and (node_id, field) not in self.targeted:
                    self.error(
                        "missing_input",
                        "required input has neither a value nor an incoming edge",
                        node_id,
                        field,
                    )
