"""Execution planning: which iterations each node runs under, and a deterministic depth-first order.

Every node gets a *scope*: the iterate nodes whose fan-out is open where it runs, outermost
first. A node's scope is the union of its inputs' scopes (an ``iterate`` adds itself for the
nodes fed by its outputs; a ``collect`` closes the innermost iterator of its inputs). Iterators
are ordered by one global, deterministic rank (topological order, ties broken by the order of
the graph's nodes), so nested iterators keep their nesting and independent ones combine as a
cartesian product in a fixed order.

Nodes with the same scope form a *region*; a region nests the regions of its iterators. Within a
region, nodes and child regions are run in a topological order, so each iteration's chain runs
to the end before the next iteration starts (depth-first). Planning is linear in the size of
the graph and iterative; only region nesting (the iterator depth) recurses at run time.
"""

from __future__ import annotations

import heapq
from collections import defaultdict, deque
from dataclasses import dataclass, field

from nodeloom.control import COLLECT, ITERATE
from nodeloom.graph.model import Edge, Graph
from nodeloom.util import gc_paused

Scope = tuple[str, ...]


@dataclass
class Region:
    """Nodes sharing one scope, plus the regions nested in it, in execution order."""

    scope: Scope
    #: node ids (str) and child regions, in the order they run
    units: list[str | Region] = field(default_factory=list)

    @property
    def iterator(self) -> str | None:
        """The iterate node this region loops over (None for the root region)."""
        return self.scope[-1] if self.scope else None


@dataclass
class InputEdge:
    """An edge as the runner needs it: where the value comes from, where it goes."""

    source_node: str
    source_field: str
    destination_field: str


@dataclass
class ExecutionPlan:
    """Everything the runner needs to walk a graph, computed once per graph structure."""

    root: Region
    scopes: dict[str, Scope]
    #: node id -> incoming edges (for collect: the 'item' edges, in graph order)
    inputs: dict[str, list[InputEdge]]
    #: collect node id -> the iterator it closes (None when its inputs are not iterated)
    closes: dict[str, str | None]
    #: node id -> position in the global order (used to sort results and units)
    rank: dict[str, int]


def plan_graph(graph: Graph) -> ExecutionPlan:
    """Plan a validated graph (acyclic, every edge well-formed)."""
    with gc_paused():
        return _plan(graph)


def _plan(graph: Graph) -> ExecutionPlan:
    node_ids = list(graph.nodes)
    position = {node_id: index for index, node_id in enumerate(node_ids)}
    inputs: dict[str, list[InputEdge]] = defaultdict(list)
    successors: dict[str, list[str]] = defaultdict(list)
    indegree = dict.fromkeys(node_ids, 0)
    for edge in graph.edges:
        _add_edge(edge, inputs, successors, indegree)

    order = _topological(node_ids, successors, indegree, position)
    rank = {node_id: index for index, node_id in enumerate(order)}

    scopes: dict[str, Scope] = {}
    closes: dict[str, str | None] = {}
    for node_id in order:
        node_type = graph.nodes[node_id].type
        merged: set[str] = set()
        for edge in inputs.get(node_id, ()):
            merged.update(_scope_of_output(edge.source_node, graph, scopes))
        scope = tuple(sorted(merged, key=rank.__getitem__))
        if node_type == COLLECT:
            closes[node_id] = scope[-1] if scope else None
            scope = scope[:-1]
        scopes[node_id] = scope

    root = _build_regions(order, scopes, inputs, rank, graph)
    return ExecutionPlan(root=root, scopes=scopes, inputs=dict(inputs), closes=closes, rank=rank)


def _add_edge(
    edge: Edge,
    inputs: dict[str, list[InputEdge]],
    successors: dict[str, list[str]],
    indegree: dict[str, int],
) -> None:
    source, destination = edge.source.node_id, edge.destination.node_id
    inputs[destination].append(InputEdge(source, edge.source.field, edge.destination.field))
    successors[source].append(destination)
    indegree[destination] += 1


def _topological(
    node_ids: list[str],
    successors: dict[str, list[str]],
    indegree: dict[str, int],
    position: dict[str, int],
) -> list[str]:
    """Kahn's algorithm, always taking the ready node that comes first in the graph."""
    remaining = dict(indegree)
    ready = [position[node_id] for node_id in node_ids if remaining[node_id] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        node_id = node_ids[heapq.heappop(ready)]
        order.append(node_id)
        for target in successors.get(node_id, ()):
            remaining[target] -= 1
            if remaining[target] == 0:
                heapq.heappush(ready, position[target])
    if len(order) != len(node_ids):
        raise ValueError("cannot plan a graph with a cycle; validate it first")
    return order


def _scope_of_output(node_id: str, graph: Graph, scopes: dict[str, Scope]) -> Scope:
    """The scope a node's outputs live in: an iterate's outputs are per item."""
    scope = scopes[node_id]
    return (*scope, node_id) if graph.nodes[node_id].type == ITERATE else scope


def _build_regions(
    order: list[str],
    scopes: dict[str, Scope],
    inputs: dict[str, list[InputEdge]],
    rank: dict[str, int],
    graph: Graph,
) -> Region:
    is_iterate = {node_id: graph.nodes[node_id].type == ITERATE for node_id in order}
    # Every region, the nodes that sit directly in it, and its rank (its earliest node's).
    regions: dict[Scope, Region] = {(): Region(())}
    members: dict[Scope, list[str]] = defaultdict(list)
    children: dict[Scope, list[Scope]] = defaultdict(list)
    first_rank: dict[Scope, int] = {}

    def ensure(scope: Scope, node_rank: int) -> None:
        for depth in range(1, len(scope) + 1):
            prefix = scope[:depth]
            if prefix not in regions:
                regions[prefix] = Region(prefix)
                children[prefix[:-1]].append(prefix)
            first_rank.setdefault(prefix, node_rank)

    for node_id in order:
        members[scopes[node_id]].append(node_id)
        ensure(scopes[node_id], rank[node_id])
        if is_iterate[node_id]:
            # An iterate's own region exists even when no node sits in it (an iterate wired
            # straight into a collect): entering it is what produces the items.
            ensure((*scopes[node_id], node_id), rank[node_id])

    def unit(node_id: str, scope: Scope, level: Scope) -> str | Scope:
        """What ``node_id`` (living in ``scope``) is, seen from the region ``level``."""
        return node_id if len(scope) == len(level) else scope[: len(level) + 1]

    # Each dependency becomes one ordering constraint, in the region of the two ends' common
    # scope: edge sources (an iterate's outputs live in its own region), the iterators a node
    # runs under, and each iterate before its own region.
    constraints: dict[Scope, list[tuple[str | Scope, str | Scope]]] = defaultdict(list)

    def constrain(before_id: str, before_scope: Scope, after_id: str, after_scope: Scope) -> None:
        level = _common_prefix(before_scope, after_scope)
        before, after = unit(before_id, before_scope, level), unit(after_id, after_scope, level)
        if before != after:
            constraints[level].append((before, after))

    for node_id in order:
        scope = scopes[node_id]
        for edge in inputs.get(node_id, ()):
            source = edge.source_node
            if not is_iterate[source]:
                constrain(source, scopes[source], node_id, scope)
                continue
            items_scope = (*scopes[source], source)
            if _common_prefix(items_scope, scope) != items_scope:
                # Consumed outside the iterate's region (a collect): after that region.
                constrain(source, items_scope, node_id, scope)
            # (inside its region the items exist: they are produced as the region is entered)
        for iterator in scope:
            constrain(iterator, scopes[iterator], node_id, scope)
        if is_iterate[node_id]:
            constraints[scope].append((node_id, (*scope, node_id)))

    for scope, region in regions.items():
        units: list[str | Scope] = [*members.get(scope, ()), *children.get(scope, ())]

        def unit_rank(item: str | Scope) -> int:
            return rank[item] if isinstance(item, str) else first_rank[item]

        ordered = _order_units(units, constraints.get(scope, []), unit_rank)
        region.units = [item if isinstance(item, str) else regions[item] for item in ordered]
    return regions[()]


def _common_prefix(a: Scope, b: Scope) -> Scope:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return a[:length]


def _order_units(units: list, constraints: list[tuple], unit_rank) -> list:
    successors: dict = defaultdict(list)
    indegree = dict.fromkeys(units, 0)
    for before, after in constraints:
        successors[before].append(after)
        indegree[after] += 1
    ready = [
        (unit_rank(unit), index, unit) for index, unit in enumerate(units) if indegree[unit] == 0
    ]
    heapq.heapify(ready)
    index_of = {unit: index for index, unit in enumerate(units)}
    ordered = []
    while ready:
        _, _, unit = heapq.heappop(ready)
        ordered.append(unit)
        for target in successors.get(unit, ()):
            indegree[target] -= 1
            if indegree[target] == 0:
                heapq.heappush(ready, (unit_rank(target), index_of[target], target))
    if len(ordered) != len(units):
        raise ValueError(
            "iteration regions depend on each other in a cycle; the graph cannot be planned"
        )
    return ordered


def describe(plan: ExecutionPlan) -> list[str]:
    """A readable outline of the plan (for debugging and tests)."""
    lines: list[str] = []
    stack: deque[tuple[Region, int]] = deque([(plan.root, 0)])
    while stack:
        region, depth = stack.pop()
        label = f"for each item of {region.iterator}" if region.iterator else "root"
        lines.append("  " * depth + label)
        for unit in reversed(region.units):
            if isinstance(unit, Region):
                stack.append((unit, depth + 1))
        for unit in region.units:
            if isinstance(unit, str):
                lines.append("  " * (depth + 1) + unit)
    return lines
