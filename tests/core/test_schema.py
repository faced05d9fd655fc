"""The OpenAPI document: valid 3.1, every node and output a component, deterministic names."""

from __future__ import annotations

import importlib.util

import pytest
from openapi_spec_validator import validate

from nodeloom.schema import build_openapi


def refs_in(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref":
                yield item
            else:
                yield from refs_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs_in(item)


def component_name(ref: str) -> str:
    prefix = "#/components/schemas/"
    assert ref.startswith(prefix), ref
    return ref[len(prefix) :]


@pytest.fixture
def document(pack_manager):
    return build_openapi(pack_manager)


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_registered_node_and_output_is_a_component(document, pack_manager):
    schemas = document["components"]["schemas"]
    node_types = {
        schema["properties"]["type"]["const"]
        for schema in schemas.values()
        if schema.get("class") == "invocation"
    }
    output_types = {
        schema["properties"]["type"]["const"]
        for schema in schemas.values()
        if schema.get("class") == "output"
    }
    assert node_types == set(pack_manager.registry.nodes)
    assert output_types == set(pack_manager.registry.outputs)
    assert {"shout", "integer", "iterate"} <= node_types


def test_node_schema_carries_class_output_and_metadata(document):
    schemas = document["components"]["schemas"]
    shout = schemas["ShoutRepeatInvocation"]
    assert shout["class"] == "invocation"
    assert shout["title"] == "Shout Repeatedly"
    assert shout["category"] == "text"
    assert shout["version"] == "1.1.0"
    assert shout["tags"] == ["text"]
    assert {"id", "type"} <= set(shout["required"])
    assert shout["output"] == {"$ref": "#/components/schemas/ShoutOutput"}
    output = schemas["ShoutOutput"]
    assert output["class"] == "output"
    assert "type" in output["required"]
    assert output["properties"]["value"]["type"] == "string"


def test_nested_models_are_hoisted_and_every_ref_resolves(document):
    schemas = document["components"]["schemas"]
    assert "ImageField" in schemas  # used by the image primitive
    assert "$defs" not in str(document)
    for ref in refs_in(document):
        assert component_name(ref) in schemas


ECHO_PACK = """
from nodeloom import (BaseInvocation, BaseInvocationOutput, ImageField, InputField, OutputField,
                      hookimpl, invocation, invocation_output)

@invocation_output("{label}_output")
class EchoOutput(BaseInvocationOutput):
    image: ImageField = OutputField(description="The image")

@invocation("{label}_echo", version="1.0.0")
class EchoInvocation(BaseInvocation):
    image: ImageField = InputField(description="An image")

    def invoke(self, context) -> EchoOutput:
        return EchoOutput(image=self.image)

@hookimpl
def register_invocations(register):
    register(EchoInvocation)
"""


def load_echo_pack(folder, label: str):
    """A pack module of its own whose classes have the same __name__ as every other echo pack's."""
    path = folder / f"{label}_echo_pack.py"
    path.write_text(ECHO_PACK.format(label=label))
    spec = importlib.util.spec_from_file_location(f"{label}_echo_pack", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_same_class_names_from_two_plugins_get_distinct_deterministic_names(
    register_plugin, plugin_manager, tmp_path
):
    assert register_plugin(load_echo_pack(tmp_path, "left"), "left").status == "active"
    assert register_plugin(load_echo_pack(tmp_path, "right"), "right").status == "active"
    first = build_openapi(plugin_manager)
    validate(first)
    schemas = first["components"]["schemas"]
    echoes = sorted(
        name
        for name, schema in schemas.items()
        if schema.get("class") == "invocation"
        and schema["properties"]["type"]["const"].endswith("_echo")
    )
    assert len(echoes) == 2
    assert "EchoInvocation" not in schemas  # neither silently takes the plain name
    left = next(
        name for name in echoes if schemas[name]["properties"]["type"]["const"] == "left_echo"
    )
    assert left == "left_echo_pack__EchoInvocation"  # module-qualified
    output = schemas[component_name(schemas[left]["output"]["$ref"])]
    assert output["properties"]["type"]["const"] == "left_output"
    assert build_openapi(plugin_manager) == first
