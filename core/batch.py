"""Batches in InvokeAI's format: one graph, field values combined into many sessions, and validation.

A batch is ``{"graph": …, "data": [[{"node_path", "field_name", "items": […]}, …], …], "runs": 1}``.
Each inner list of ``data`` is a *group*: its datums are zipped (item 0 of every datum goes to
session 0 of that group, and so on), so they must have the same number of items. Groups are
combined as a cartesian product with the last group varying fastest, and the whole product is
repeated ``runs`` times::

    data = [[A×2, B×2], [C×2]], runs = 2
    -> (A0 B0 C0) (A0 B0 C1) (A1 B1 C0) (A1 B1 C1), then the same four again

Sessions are never materialised: ``Batch.count`` is ``runs × Π len(group)``,
``iter_field_values()`` yields them one at a time and ``field_values(index)`` computes the values
of one session from its position alone, which is all a queue row stores.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import json
import math
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from pydantic_core import to_json

from nodeloom.graph.errors import GraphError, GraphValidationError

if TYPE_CHECKING:
    from nodeloom.invocation import BaseInvocation
    from nodeloom.plugins import PluginManager
    from nodeloom.registry import Registry
    from nodeloom.storage.base import NewBatch

#: One session's field values: ``(node_path, field_name, value)`` for every datum of the batch.
FieldValues = tuple[tuple[str, str, Any], ...]


class BatchValidationError(GraphValidationError):
    """A batch (or its graph) has problems; ``errors`` lists every one, naming node and field."""


class BatchDatum(BaseModel):
    """Values for one field of one node: item ``i`` goes to the ``i``-th session of its group."""

    model_config = ConfigDict(extra="forbid")

    node_path: str = Field(description="The id of the node whose input the items set")
    field_name: str = Field(description="The input field the items set")
    items: list[Any] = Field(default_factory=list, description="One value per session")


class Batch(BaseModel):
    """One graph and the field values of many sessions (InvokeAI's batch format)."""

    model_config = ConfigDict(extra="forbid")

    batch_id: str = Field(default_factory=lambda: uuid.uuid4().hex, description="The batch id")
    graph: dict[str, Any] = Field(description="The graph every session runs (InvokeAI JSON)")
    data: list[list[BatchDatum]] = Field(
        default_factory=list,
        description="Groups of zipped datums; groups combine as a product (last fastest)",
    )
    runs: int = Field(default=1, ge=1, description="How many times the whole product runs")
    origin: str | None = Field(default=None, description="Who submitted it (InvokeAI field)")
    destination: str | None = Field(default=None, description="Where results go (InvokeAI field)")
    workflow: Any = Field(default=None, description="Accepted for InvokeAI files; not used")

    @field_validator("graph", mode="before")
    @classmethod
    def _graph_as_data(cls, value: Any) -> Any:
        to_dict = getattr(value, "to_dict", None)  # a nodeloom.Graph
        return to_dict() if callable(to_dict) else value

    @field_validator("data", mode="before")
    @classmethod
    def _no_data(cls, value: Any) -> Any:
        return [] if value is None else value

    # -- the product -----------------------------------------------------------------------------

    def group_sizes(self) -> list[int]:
        """Sessions per group in one run (the length of the group's first datum)."""
        return [len(group[0].items) if group else 0 for group in self.data]

    @property
    def count(self) -> int:
        """How many sessions the batch makes: ``runs × Π len(group)``."""
        return self.runs * math.prod(self.group_sizes())

    def iter_field_values(self) -> Iterator[FieldValues]:
        """Each session's field values, in queue order, one at a time."""
        rows = [
            [
                tuple((d.node_path, d.field_name, d.items[index]) for d in group)
                for index in range(len(group[0].items) if group else 0)
            ]
            for group in self.data
        ]
        chain = itertools.chain.from_iterable
        for _ in range(self.runs):
            for combination in itertools.product(*rows):
                yield tuple(chain(combination))

    def field_values(self, index: int) -> FieldValues:
        """The field values of session ``index`` (0-based, queue order), computed from its position."""
        return field_values_at(self.data, index, self.count)

    # -- validation ------------------------------------------------------------------------------

    def problems(self, registry: Registry) -> list[GraphError]:
        """Every problem of the batch and of its graph (an empty list: the batch is valid)."""
        return _BatchChecker(self, registry).run()

    def check(self, plugin_manager: PluginManager | None = None) -> Batch:
        """Raise BatchValidationError listing every problem; returns the batch itself."""
        from nodeloom.plugins import get_plugin_manager

        manager = plugin_manager or get_plugin_manager()
        errors = self.problems(manager.registry)
        if errors:
            raise BatchValidationError(errors)
        return self

    def prepare(self, plugin_manager: PluginManager | None = None) -> NewBatch:
        """Validate, then serialise once what a store keeps of the batch (graph and data JSON)."""
        from nodeloom.storage.base import NewBatch

        self.check(plugin_manager)
        return NewBatch(
            batch_id=self.batch_id,
            graph_json=to_json(self.graph).decode(),
            data_json=_DATA.dump_json(self.data).decode(),
            runs=self.runs,
            count=self.count,
        )


_DATA: TypeAdapter[list[list[BatchDatum]]] = TypeAdapter(list[list[BatchDatum]])


def parse_batch(data: Batch | dict[str, Any], origin: str = "batch") -> Batch:
    """A Batch from a dict (or the Batch itself); malformed data raises BatchValidationError."""
    if isinstance(data, Batch):
        return data
    if not isinstance(data, dict):
        raise BatchValidationError(
            [GraphError("invalid_batch", f"{origin}: a batch must be a JSON object")]
        )
    try:
        return Batch.model_validate(data)
    except ValidationError as error:
        raise BatchValidationError(
            [
                GraphError(
                    "invalid_batch",
                    f"{origin}: {'.'.join(str(part) for part in item['loc']) or 'batch'}: "
                    f"{item['msg']}",
                )
                for item in error.errors(include_url=False)
            ]
        ) from None


def load_data(data_json: str) -> list[list[BatchDatum]]:
    """The data groups of a batch from the JSON a store keeps."""
    return _DATA.validate_json(data_json)


def field_values_at(
    data: list[list[BatchDatum]], index: int, count: int | None = None
) -> FieldValues:
    """The field values of session ``index`` of ``data``: mixed-radix digits, last group fastest."""
    sizes = [len(group[0].items) if group else 0 for group in data]
    per_run = math.prod(sizes)
    if index < 0 or per_run == 0 or (count is not None and index >= count):
        raise IndexError(f"session index {index} is outside the batch ({count} sessions)")
    position = index % per_run
    digits = []
    for size in reversed(sizes):
        position, digit = divmod(position, size)
        digits.append(digit)
    digits.reverse()
    return tuple(
        (datum.node_path, datum.field_name, datum.items[digit])
        for group, digit in zip(data, digits, strict=True)
        for datum in group
    )


# -- checking ---------------------------------------------------------------------------------------


def _kind(value_type: type) -> str:
    """The item kind used for the one-type rule: int and float are both 'number'."""
    if value_type is bool:
        return "bool"
    if value_type in (int, float):
        return "number"
    if issubclass(value_type, str):
        return "str"
    if issubclass(value_type, dict):
        return "object"
    if issubclass(value_type, (list, tuple)):
        return "list"
    if value_type is type(None):
        return "null"
    return value_type.__name__


@functools.lru_cache(maxsize=1024)
def items_adapter(node_class: type[BaseInvocation], field_name: str) -> TypeAdapter[Any]:
    """Validates a list of values for one input (annotation plus its constraints such as ``ge``)."""
    info = node_class.model_fields[field_name]
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[(annotation, *info.metadata)]  # type: ignore[valid-type]
    return TypeAdapter(list[annotation])  # type: ignore[valid-type]


class _BatchChecker:
    """Collects every problem of a batch; each names the node and field it concerns."""

    def __init__(self, batch: Batch, registry: Registry) -> None:
        self.batch = batch
        self.registry = registry
        self.errors: list[GraphError] = []

    def error(self, code: str, message: str, node: str | None = None, field: str | None = None):
        self.errors.append(GraphError(code, message, node, field))

    def run(self) -> list[GraphError]:
        raw_nodes = self.batch.graph.get("nodes")
        nodes = raw_nodes if isinstance(raw_nodes, dict) else {}
        fed = self._fed_fields()
        seen: dict[tuple[str, str], str] = {}
        first_values: dict[str, dict[str, Any]] = {}
        for group_number, group in enumerate(self.batch.data, start=1):
            if not group:
                self.error("batch_empty_group", f"data group #{group_number} has no datums")
                continue
            self._check_lengths(group_number, group)
            for datum_number, datum in enumerate(group, start=1):
                where = f"group #{group_number} datum #{datum_number}"
                node, field = datum.node_path, datum.field_name
                key = (node, field)
                if key in seen:
                    self.error(
                        "batch_duplicate_field",
                        f"set by more than one datum ({seen[key]} and {where}); "
                        "each node field may appear once in a batch",
                        node,
                        field,
                    )
                    continue
                seen[key] = where
                if self._check_datum(datum, nodes, fed) and datum.items:
                    first_values.setdefault(node, {})[field] = datum.items[0]
        self._check_graph(nodes, first_values)
        return self.errors

    def _check_lengths(self, group_number: int, group: list[BatchDatum]) -> None:
        lengths = {len(datum.items) for datum in group}
        if len(lengths) > 1:
            described = ", ".join(
                f"'{datum.node_path}.{datum.field_name}' has {len(datum.items)}" for datum in group
            )
            self.error(
                "batch_group_length",
                f"data group #{group_number} zips datums of different lengths ({described}); "
                "datums in one group must have the same number of items",
            )

    def _check_datum(self, datum: BatchDatum, nodes: dict[str, Any], fed: dict) -> bool:
        """Problems of one datum; True when its items are valid for its field."""
        node, field = datum.node_path, datum.field_name
        if not datum.items:
            self.error("batch_empty_items", "the datum has no items", node, field)
            return False
        raw = nodes.get(node)
        if not isinstance(raw, dict):
            known = ", ".join(nodes) or "none"
            self.error(
                "batch_unknown_node",
                f"there is no node '{node}' in the batch's graph (nodes: {known})",
                node,
                field,
            )
            return False
        cls = self.registry.node_class(str(raw.get("type", "")))
        if cls is None:
            return False  # the graph check reports the unknown node type
        inputs = list(cls.input_fields())
        if field not in inputs:
            close = difflib.get_close_matches(field, inputs, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            self.error(
                "batch_unknown_field",
                f"'{cls.node_type}' has no input '{field}' "
                f"({hint}inputs: {', '.join(inputs) or 'none'})",
                node,
                field,
            )
            return False
        if (node, field) in fed:
            self.error(
                "batch_field_has_edge",
                f"the input is fed by an edge from '{fed[(node, field)]}', which would override "
                "the batch items; remove the edge or the datum",
                node,
                field,
            )
            return False
        return self._check_items(datum, cls)

    def _check_items(self, datum: BatchDatum, cls: type[BaseInvocation]) -> bool:
        node, field, items = datum.node_path, datum.field_name, datum.items
        kinds = {_kind(value_type) for value_type in set(map(type, items))}
        if len(kinds) > 1:
            first = _kind(type(items[0]))
            index = next(i for i, item in enumerate(items) if _kind(type(item)) != first)
            self.error(
                "batch_mixed_types",
                f"items mix types ({', '.join(sorted(kinds))}): item #{index} is "
                f"{type(items[index]).__name__} {items[index]!r} but item #0 is "
                f"{type(items[0]).__name__}; all items must have one type (int and float may mix)",
                node,
                field,
            )
            return False
        try:
            items_adapter(cls, field).validate_python(items)
        except ValidationError as error:
            for item in error.errors(include_url=False)[:5]:
                location = item.get("loc") or ()
                index = location[0] if location else "?"
                nested = ".".join(str(part) for part in location[1:])
                self.error(
                    "batch_invalid_item",
                    f"item #{index} {item.get('input')!r} is not valid for this input of "
                    f"'{cls.node_type}'{f' at {nested}' if nested else ''}: {item['msg']}",
                    node,
                    field,
                )
            return False
        return True

    def _fed_fields(self) -> dict[tuple[str, str], str]:
        edges = self.batch.graph.get("edges")
        fed = {}
        for edge in edges if isinstance(edges, list) else ():
            try:
                source, destination = edge["source"], edge["destination"]
                fed[(destination["node_id"], destination["field"])] = (
                    f"{source['node_id']}.{source['field']}"
                )
            except (KeyError, TypeError):
                continue  # the graph check reports malformed edges
        return fed

    def _check_graph(self, nodes: dict[str, Any], first_values: dict[str, dict[str, Any]]) -> None:
        """Validate the graph as its sessions will see it: with each datum's first item set."""
        from nodeloom.graph.load import check_graph_data

        graph = dict(self.batch.graph)
        if first_values:
            graph["nodes"] = {
                node_id: {**node, **first_values[node_id]}
                if node_id in first_values and isinstance(node, dict)
                else node
                for node_id, node in nodes.items()
            }
        _, errors = check_graph_data(graph, self.registry)
        self.errors.extend(errors)


def describe_field_values(values: FieldValues) -> list[dict[str, Any]]:
    """Field values as JSON-ready dicts (what ``queue list --json`` prints)."""
    return [
        {"node_path": node, "field_name": field, "value": value} for node, field, value in values
    ]


def batch_from_json(graph_json: str, data_json: str, runs: int, batch_id: str) -> Batch:
    """Rebuild a stored batch (already validated when it was enqueued) without re-checking it."""
    return Batch.model_construct(
        batch_id=batch_id, graph=json.loads(graph_json), data=load_data(data_json), runs=runs
    )
