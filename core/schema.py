"""The OpenAPI 3.1 document whose components hold every registered node and output schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic.json_schema import models_json_schema

if TYPE_CHECKING:
    from nodeloom.plugins import PluginManager

OPENAPI_VERSION = "3.1.0"
REF_TEMPLATE = "#/components/schemas/{model}"


def build_openapi(plugin_manager: PluginManager | None = None) -> dict[str, Any]:
    """Build the OpenAPI document for the nodes registered in ``plugin_manager``.

    Every node class and output class becomes a component named after its class; models they
    use (``ImageField``...) are hoisted into the components too. When two plugins register
    classes with the same ``__name__``, pydantic names both after their module and qualified
    name instead, which is deterministic. Plugins add keys through the ``prepare_node_schema``
    and ``prepare_output_schema`` hooks; the core uses them for ``class``, ``category``...
    """
    from nodeloom import __version__
    from nodeloom.plugins import get_plugin_manager

    manager = plugin_manager or get_plugin_manager()
    nodes = manager.registry.sorted_nodes()
    outputs = [manager.registry.outputs[name][0] for name in sorted(manager.registry.outputs)]
    models = [(entry.cls, "validation") for entry in nodes]
    models += [(output, "validation") for output in outputs]
    refs, definitions = models_json_schema(models, ref_template=REF_TEMPLATE)
    schemas: dict[str, Any] = definitions.get("$defs", {})

    def component(model: type) -> tuple[str, dict[str, Any]]:
        ref = refs[(model, "validation")]["$ref"]
        name = ref.rsplit("/", 1)[1]
        return ref, schemas[name]

    for output in outputs:
        _, schema = component(output)
        manager.hook.prepare_output_schema(schema=schema, output_class=output)
    for entry in nodes:
        _, schema = component(entry.cls)
        output_ref, _ = component(entry.output)
        schema["output"] = {"$ref": output_ref}
        _mark_required_inputs(schema, entry.cls.node_required_inputs)
        manager.hook.prepare_node_schema(schema=schema, node_class=entry.cls)

    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "nodeloom",
            "version": __version__,
            "description": "Node and output schemas of the installed nodeloom plugins.",
        },
        "paths": {},
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


def _mark_required_inputs(schema: dict[str, Any], required: frozenset[str]) -> None:
    """Required inputs may come from an edge, so the model gives them a ``None`` placeholder.

    That placeholder is not a valid default for their type; drop it and mark the input the way
    InvokeAI's schema does (``orig_required``), so editors know a value or an edge is needed.
    """
    properties = schema.get("properties", {})
    for name in required:
        field = properties.get(name)
        if field is None:
            continue
        if field.get("default", ...) is None:
            del field["default"]
        field["orig_required"] = True
