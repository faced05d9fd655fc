"""The core's own plugin: control nodes, the innermost ``execute_node`` and the schema ``class`` key."""

from __future__ import annotations

from typing import Any

from nodeloom.control import CollectInvocation, IterateInvocation
from nodeloom.hooks import hookimpl


@hookimpl
def register_invocations(register) -> None:
    register(IterateInvocation)
    register(CollectInvocation)


@hookimpl(trylast=True)
def execute_node(invocation, context):
    return invocation.invoke(context)


@hookimpl
def prepare_node_schema(schema: dict[str, Any], node_class) -> None:
    schema["class"] = "invocation"
    schema["title"] = node_class.node_title
    schema["category"] = node_class.node_category
    schema["version"] = node_class.node_version
    schema["tags"] = list(node_class.node_tags)
    schema["required"] = sorted({*schema.get("required", []), "type", "id"})


@hookimpl
def prepare_output_schema(schema: dict[str, Any], output_class) -> None:
    schema["class"] = "output"
    schema["required"] = sorted({*schema.get("required", []), "type"})
