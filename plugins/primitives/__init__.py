"""Primitive, math and collection nodes with InvokeAI's type and field names."""

from __future__ import annotations

from nodeloom import hookimpl
from nodeloom_primitives import collections, math, primitives, references

#: Every node class this plugin contributes, in registration order.
NODES = (*primitives.NODES, *references.NODES, *math.NODES, *collections.NODES)


@hookimpl
def register_invocations(register) -> None:
    for node_class in NODES:
        register(node_class)
