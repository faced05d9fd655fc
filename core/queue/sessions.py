"""Building a queue item's session when it runs: the batch graph plus the item's field values.

Everything that depends only on the batch (its graph parsed and checked against this process's
node types, its data, the execution plan) is prepared once per batch and kept for the next
items; an item then costs one node validation per node its values change and one small JSON
dump. The plan depends only on the graph's structure, which field values never change.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nodeloom.batch import FieldValues, batch_from_json, field_values_at

if TYPE_CHECKING:
    from nodeloom.batch import BatchDatum
    from nodeloom.graph.model import Graph
    from nodeloom.graph.plan import ExecutionPlan
    from nodeloom.plugins import PluginManager
    from nodeloom.storage.base import QueueItemRecord, Store


class SessionBuildError(Exception):
    """An item's session cannot be built; the message says why (the item is marked failed)."""


@dataclass
class BatchTemplate:
    """What every session of one batch shares."""

    batch_id: str
    raw_graph: dict[str, Any]
    data: list[list[BatchDatum]]
    per_run: int
    graph: Graph | None  # nodes without the batch's values; None when ``problem`` is set
    plan: ExecutionPlan | None
    problem: str | None = None


@dataclass
class BuiltSession:
    """One item's session: its graph (and JSON, id) and the field values it got."""

    graph: Graph
    graph_id: str
    graph_json: str
    plan: ExecutionPlan
    field_values: FieldValues


class SessionBuilder:
    """Builds sessions for queue items, caching the last few batches' templates."""

    def __init__(self, store: Store, plugin_manager: PluginManager, cache_size: int = 8) -> None:
        self.store = store
        self.plugin_manager = plugin_manager
        self.cache_size = cache_size
        self._templates: OrderedDict[str, BatchTemplate] = OrderedDict()

    def template(self, batch_id: str) -> BatchTemplate:
        found = self._templates.get(batch_id)
        if found is None:
            found = self._templates[batch_id] = self._prepare(batch_id)
            while len(self._templates) > self.cache_size:
                self._templates.popitem(last=False)
        else:
            self._templates.move_to_end(batch_id)
        return found

    def _prepare(self, batch_id: str) -> BatchTemplate:
        from nodeloom.graph.model import parse_graph_data
        from nodeloom.graph.plan import plan_graph

        record = self.store.get_batch(batch_id)
        batch = batch_from_json(record.graph_json, record.data_json, record.runs, batch_id)
        per_run = math.prod(batch.group_sizes())
        template = BatchTemplate(batch_id, batch.graph, batch.data, per_run, None, None)
        # Checked again here: this process may not have the node types the enqueuer had.
        problems = batch.problems(self.plugin_manager.registry)
        if problems:
            template.problem = "the batch no longer validates: " + "; ".join(map(str, problems))
            return template
        graph, errors, _ = parse_graph_data(batch.graph, self.plugin_manager.registry)
        if graph is None or errors:
            template.problem = "the batch graph does not parse: " + "; ".join(map(str, errors))
            return template
        template.graph, template.plan = graph, plan_graph(graph)
        return template

    def build(self, item: QueueItemRecord) -> BuiltSession:
        """The session of ``item``; raises SessionBuildError saying why it cannot be built."""
        from nodeloom.graph.model import Graph

        template = self.template(item.batch_id)
        if template.problem is not None:
            raise SessionBuildError(template.problem)
        assert template.graph is not None and template.plan is not None
        values = field_values_at(template.data, item.batch_index) if template.data else ()
        changed: dict[str, dict[str, Any]] = {}
        for node_id, field_name, value in values:
            changed.setdefault(node_id, {})[field_name] = value
        raw_nodes = template.raw_graph["nodes"]
        nodes = dict(template.graph.nodes)
        node_data = dict(raw_nodes)
        for node_id, fields in changed.items():
            data = {**raw_nodes[node_id], "id": node_id, **fields}
            try:
                nodes[node_id] = type(nodes[node_id]).model_validate(data)
            except Exception as error:  # items were checked at enqueue; say which one broke
                raise SessionBuildError(
                    f"node '{node_id}': the values {fields!r} are not valid: {error}"
                ) from None
            node_data[node_id] = data
        # Sessions of different runs with the same values share one stored graph.
        position = item.batch_index % template.per_run if template.per_run else 0
        graph_id = f"{item.batch_id}.{position}" if template.data else item.batch_id
        graph = Graph.model_construct(id=graph_id, nodes=nodes, edges=template.graph.edges)
        graph_json = json.dumps(
            {**template.raw_graph, "id": graph_id, "nodes": node_data}, separators=(",", ":")
        )
        return BuiltSession(graph, graph_id, graph_json, template.plan, values)
