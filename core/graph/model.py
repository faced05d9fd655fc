"""The graph model in InvokeAI's JSON format, parsing against a node registry, and editing operations."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, field_validator

from nodeloom.graph.errors import GraphError, GraphValidationError
from nodeloom.invocation import BaseInvocation

if TYPE_CHECKING:
    from nodeloom.registry import Registry

GRAPH_KEYS = ("id", "nodes", "edges")


class EdgeConnection(BaseModel):
    """One end of an edge: a node id and one of its fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    node_id: str = Field(description="The id of the node")
    field: str = Field(description="The field of the node")


class Edge(BaseModel):
    """A connection from an output field of one node to an input field of another."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: EdgeConnection
    destination: EdgeConnection

    def __str__(self) -> str:
        return (
            f"{self.source.node_id}.{self.source.field} -> "
            f"{self.destination.node_id}.{self.destination.field}"
        )


def _new_id() -> str:
    return uuid.uuid4().hex


class Graph(BaseModel):
    """A workflow: nodes keyed by id and the edges between their fields.

    Build one from JSON data with :func:`parse_graph` (which reports every problem at once), or
    in Python with the editing methods. ``Graph.model_validate(data)`` parses nodes against the
    process-wide plugin manager (or ``context={"registry": registry}``).
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=_new_id, description="The id of this graph")
    nodes: dict[str, SerializeAsAny[BaseInvocation]] = Field(default_factory=dict)
    edges: list[Edge] = Field(default_factory=list)

    @field_validator("nodes", mode="plain")
    @classmethod
    def _parse_nodes(cls, value: Any, info: Any) -> dict[str, BaseInvocation]:
        if not isinstance(value, dict):
            raise ValueError("nodes must be an object mapping node ids to nodes")
        if all(isinstance(node, BaseInvocation) for node in value.values()):
            return dict(value)
        registry = (info.context or {}).get("registry") if info.context else None
        if registry is None:
            from nodeloom.plugins import get_plugin_manager

            registry = get_plugin_manager().registry
        nodes, errors, _ = parse_nodes(value, registry)
        if errors:
            raise ValueError("\n".join(str(error) for error in errors))
        return nodes

    # -- serialisation ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The graph as InvokeAI-style JSON data (unset required inputs left out)."""
        return {
            "id": self.id,
            "nodes": {node_id: node_to_dict(node) for node_id, node in self.nodes.items()},
            "edges": [
                {
                    "source": {"node_id": edge.source.node_id, "field": edge.source.field},
                    "destination": {
                        "node_id": edge.destination.node_id,
                        "field": edge.destination.field,
                    },
                }
                for edge in self.edges
            ],
        }

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict(), separators=(",", ":"))

    # -- editing ---------------------------------------------------------------------------------

    def add_node(self, node: BaseInvocation) -> None:
        """Add a node; its id must be new."""
        if node.id in self.nodes:
            raise _one("duplicate_node_id", f"a node with id '{node.id}' already exists", node.id)
        self.nodes[node.id] = node

    def update_node(self, node_id: str, node: BaseInvocation) -> None:
        """Replace a node, keeping its edges; fails if an edge would lose its field."""
        if node_id not in self.nodes:
            raise _one("missing_node", f"there is no node '{node_id}'", node_id)
        if node.id != node_id and node.id in self.nodes:
            raise _one("duplicate_node_id", f"a node with id '{node.id}' already exists", node.id)
        output_fields = node.output_class().model_fields
        for edge in self.edges:
            if edge.source.node_id == node_id and edge.source.field not in output_fields:
                raise _one(
                    "edge_missing_field", f"edge {edge} needs output '{edge.source.field}'", node_id
                )
            if (
                edge.destination.node_id == node_id
                and edge.destination.field not in node.input_fields()
            ):
                raise _one(
                    "edge_missing_field",
                    f"edge {edge} needs input '{edge.destination.field}'",
                    node_id,
                )
        del self.nodes[node_id]
        self.nodes[node.id] = node
        if node.id != node_id:
            self.edges = [_renamed(edge, node_id, node.id) for edge in self.edges]

    def delete_node(self, node_id: str) -> None:
        """Remove a node and every edge touching it."""
        if node_id not in self.nodes:
            raise _one("missing_node", f"there is no node '{node_id}'", node_id)
        del self.nodes[node_id]
        self.edges = [
            edge
            for edge in self.edges
            if node_id not in (edge.source.node_id, edge.destination.node_id)
        ]

    def add_edge(self, edge: Edge) -> None:
        """Add an edge after checking its ends, types, input count and that it closes no cycle."""
        from nodeloom.graph.validate import check_new_edge

        errors = check_new_edge(self, edge)
        if errors:
            raise GraphValidationError(errors)
        self.edges.append(edge)

    def delete_edge(self, edge: Edge) -> None:
        try:
            self.edges.remove(edge)
        except ValueError:
            raise _one("missing_edge", f"there is no edge {edge}") from None


def node_to_dict(node: BaseInvocation) -> dict[str, Any]:
    data = node.model_dump(mode="json", exclude_unset=True)
    data["id"] = node.id
    data["type"] = node.type
    return data


def _renamed(edge: Edge, old: str, new: str) -> Edge:
    def end(connection: EdgeConnection) -> EdgeConnection:
        return (
            EdgeConnection(node_id=new, field=connection.field)
            if connection.node_id == old
            else connection
        )

    return Edge(source=end(edge.source), destination=end(edge.destination))


def _one(
    code: str, message: str, node_id: str | None = None, field: str | None = None
) -> GraphValidationError:
    return GraphValidationError([GraphError(code, message, node_id, field)])


# -- parsing ---------------------------------------------------------------------------------------


def parse_nodes(
    raw_nodes: dict[str, Any], registry: Registry
) -> tuple[dict[str, BaseInvocation], list[GraphError], dict[str, type[BaseInvocation]]]:
    """Parse node data against the registry.

    Returns the nodes that parsed, every problem found, and the class of every node whose type
    is known (including those whose values were invalid, so edges to them can still be checked).
    """
    nodes: dict[str, BaseInvocation] = {}
    errors: list[GraphError] = []
    classes: dict[str, type[BaseInvocation]] = {}
    for key, data in raw_nodes.items():
        if not isinstance(data, dict):
            errors.append(
                GraphError(
                    "invalid_node", f"a node must be an object, got {type(data).__name__}", key
                )
            )
            continue
        node_type = data.get("type")
        if not isinstance(node_type, str):
            problem = (
                "the node has no 'type'"
                if node_type is None
                else f"'type' must be a string, got {node_type!r}"
            )
            errors.append(GraphError("missing_type", problem, key))
            continue
        cls = registry.node_class(node_type)
        if cls is None:
            close = registry.close_node_types(node_type)
            hint = f" (did you mean {', '.join(repr(name) for name in close)}?)" if close else ""
            errors.append(
                GraphError("unknown_node_type", f"unknown node type '{node_type}'{hint}", key)
            )
            continue
        classes[key] = cls
        node_id = data.get("id", key)
        if node_id != key:
            errors.append(
                GraphError(
                    "node_id_mismatch",
                    f"the node is stored under '{key}' but its id is '{node_id}'",
                    key,
                )
            )
            continue
        if "id" not in data:
            data = {**data, "id": key}
        try:
            nodes[key] = cls.model_validate(data)
        except ValidationError as error:
            errors.extend(_field_errors(key, cls, error))
    return nodes, errors, classes


def _field_errors(
    node_id: str, cls: type[BaseInvocation], error: ValidationError
) -> list[GraphError]:
    import difflib

    found = []
    fields = list(cls.input_fields())
    for item in error.errors(include_url=False):
        location = item.get("loc") or ()
        field = str(location[0]) if location else None
        if item.get("type") == "extra_forbidden":
            close = difflib.get_close_matches(field or "", fields, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            message = (
                f"unknown field ({hint}fields of '{cls.node_type}': {', '.join(fields) or 'none'})"
            )
            found.append(GraphError("unknown_field", message, node_id, field))
            continue
        detail = item.get("msg", "invalid value")
        nested = ".".join(str(part) for part in location[1:])
        where = f" at {nested}" if nested else ""
        found.append(
            GraphError(
                "invalid_value",
                f"invalid value {item.get('input')!r}{where}: {detail}",
                node_id,
                field,
            )
        )
    return found


def parse_graph_data(
    data: Any, registry: Registry
) -> tuple[Graph | None, list[GraphError], dict[str, Any]]:
    """Parse graph data, collecting every problem; returns (graph of the valid parts, errors, classes)."""
    errors: list[GraphError] = []
    if not isinstance(data, dict):
        return (
            None,
            [
                GraphError(
                    "invalid_graph", f"a graph must be a JSON object, got {type(data).__name__}"
                )
            ],
            {},
        )
    for key in data:
        if key not in GRAPH_KEYS:
            errors.append(
                GraphError(
                    "invalid_graph", f"unknown top-level key '{key}' (allowed: id, nodes, edges)"
                )
            )
    graph_id = data.get("id")
    if graph_id is not None and not isinstance(graph_id, str):
        errors.append(GraphError("invalid_graph", "the graph 'id' must be a string"))
        graph_id = None
    raw_nodes = data.get("nodes", {})
    if not isinstance(raw_nodes, dict):
        errors.append(
            GraphError("invalid_graph", "'nodes' must be an object mapping node ids to nodes")
        )
        raw_nodes = {}
    raw_edges = data.get("edges", [])
    if not isinstance(raw_edges, list):
        errors.append(GraphError("invalid_graph", "'edges' must be a list"))
        raw_edges = []
    nodes, node_errors, classes = parse_nodes(raw_nodes, registry)
    errors.extend(node_errors)
    edges = []
    for index, raw in enumerate(raw_edges):
        try:
            edges.append(Edge.model_validate(raw))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}"
                for item in error.errors(include_url=False)
            )
            errors.append(GraphError("invalid_edge", f"edge #{index} is malformed: {problems}"))
    graph = Graph.model_construct(id=graph_id or _new_id(), nodes=nodes, edges=edges)
    return graph, errors, classes


def parse_graph(data: Any, registry: Registry) -> Graph:
    """Parse and fully validate graph data; raises GraphValidationError listing every problem."""
    from nodeloom.graph.load import check_graph_data

    graph, errors = check_graph_data(data, registry)
    if errors:
        raise GraphValidationError(errors)
    assert graph is not None
    return graph
