"""The primitives plugin registers every node through the public hook, and stays light."""

from __future__ import annotations

import subprocess
import sys
import typing

import pytest

import nodeloom
import nodeloom_primitives

EXPECTED_NODES = {
    # primitives
    "boolean": "boolean_output",
    "boolean_collection": "boolean_collection_output",
    "integer": "integer_output",
    "integer_collection": "integer_collection_output",
    "float": "float_output",
    "float_collection": "float_collection_output",
    "string": "string_output",
    "string_collection": "string_collection_output",
    "image": "image_output",
    "image_collection": "image_collection_output",
    "latents": "latents_output",
    "latents_collection": "latents_collection_output",
    "conditioning": "conditioning_output",
    "conditioning_collection": "conditioning_collection_output",
    "color": "color_output",
    "color_collection": "color_collection_output",
    # math
    "add": "integer_output",
    "sub": "integer_output",
    "mul": "integer_output",
    "div": "integer_output",
    "mod": "integer_output",
    "add_float": "float_output",
    "sub_float": "float_output",
    "mul_float": "float_output",
    "div_float": "float_output",
    "abs": "float_output",
    "round": "float_output",
    "round_float": "float_output",
    "float_to_int": "integer_output",
    "rand_int": "integer_output",
    "rand_float": "float_output",
    "integer_math": "integer_output",
    "float_math": "float_output",
    # collections
    "range": "integer_collection_output",
    "range_of_size": "integer_collection_output",
    "random_range": "integer_collection_output",
}


@pytest.fixture
def manager():
    """A fresh plugin manager with only the core and the primitives plugin."""
    pm = nodeloom.make_plugin_manager(entry_points=False)
    record = pm.add_plugin(nodeloom_primitives, "primitives")
    assert record.status == "active", record.error
    return pm


def test_plugin_is_active_and_registers_every_node(manager):
    record = manager.records["primitives"]
    assert record.hooks == ["register_invocations"]
    assert record.node_count == len(EXPECTED_NODES)
    provided = {
        entry.type: entry.output.output_type
        for entry in manager.registry.sorted_nodes()
        if entry.plugin == "primitives"
    }
    assert provided == EXPECTED_NODES


def test_every_node_is_documented(manager):
    for entry in manager.registry.sorted_nodes():
        if entry.plugin != "primitives":
            continue
        node_class = entry.cls
        assert node_class.__doc__, entry.type
        assert node_class.node_title, entry.type
        assert node_class.node_category in {"primitives", "math", "collections"}, entry.type
        for name, field in node_class.input_fields().items():
            assert field.description, f"{entry.type}.{name} has no description"
        for name, field in entry.output.model_fields.items():
            assert name == "type" or field.description, f"{entry.output_type}.{name}"


def test_numbers_are_typed_for_the_validator(manager):
    registry = manager.registry
    assert typing.get_type_hints(registry.node_class("add"))["a"] is int
    assert typing.get_type_hints(registry.node_class("add_float"))["a"] is float
    assert typing.get_type_hints(registry.node_class("range"))["start"] is int
    outputs = dict(registry.outputs)
    assert typing.get_type_hints(outputs["integer_collection_output"][0])["collection"] == list[int]


def test_plugin_is_discovered_through_its_entry_point():
    pm = nodeloom.make_plugin_manager()
    record = pm.records["primitives"]
    assert record.status == "active", record.error
    assert record.distribution == "nodeloom"
    assert record.node_count == len(EXPECTED_NODES)


def test_import_does_not_pull_in_numpy_or_torch():
    code = (
        "import sys, nodeloom_primitives; "
        "print(sorted(m for m in ('numpy', 'torch') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
