"""The value primitives pass their inputs through, typed, as single values and collections."""

from __future__ import annotations

import pydantic
import pytest

from nodeloom import ColorField
from nodeloom_primitives.primitives import (
    BooleanCollectionInvocation,
    BooleanInvocation,
    ColorCollectionInvocation,
    ColorInvocation,
    FloatCollectionInvocation,
    FloatInvocation,
    IntegerCollectionInvocation,
    IntegerInvocation,
    StringCollectionInvocation,
    StringInvocation,
)


@pytest.mark.parametrize(
    ("node_class", "value", "output_type"),
    [
        (IntegerInvocation, 42, "integer_output"),
        (FloatInvocation, 2.5, "float_output"),
        (StringInvocation, "a cat", "string_output"),
        (BooleanInvocation, True, "boolean_output"),
    ],
)
def test_single_primitive_returns_its_value(context, node_class, value, output_type):
    output = node_class(id="n", value=value).invoke(context)
    assert output.type == output_type
    assert output.value == value
    assert type(output.value) is type(value)


@pytest.mark.parametrize(
    ("node_class", "default"),
    [
        (IntegerInvocation, 0),
        (FloatInvocation, 0.0),
        (StringInvocation, ""),
        (BooleanInvocation, False),
    ],
)
def test_single_primitive_defaults_match_invokeai(context, node_class, default):
    assert node_class(id="n").invoke(context).value == default


def test_float_primitive_accepts_an_integer(context):
    output = FloatInvocation(id="n", value=3).invoke(context)
    assert output.value == 3.0 and isinstance(output.value, float)


def test_integer_primitive_rejects_a_fractional_float():
    with pytest.raises(pydantic.ValidationError):
        IntegerInvocation(id="n", value=1.5)


@pytest.mark.parametrize(
    ("node_class", "items", "output_type"),
    [
        (IntegerCollectionInvocation, [1, 2, 3], "integer_collection_output"),
        (FloatCollectionInvocation, [0.5, 1.5], "float_collection_output"),
        (StringCollectionInvocation, ["a", "b"], "string_collection_output"),
        (BooleanCollectionInvocation, [True, False], "boolean_collection_output"),
    ],
)
def test_collection_primitive_returns_its_items(context, node_class, items, output_type):
    output = node_class(id="n", collection=items).invoke(context)
    assert output.type == output_type
    assert output.collection == items
    assert node_class(id="n").invoke(context).collection == []


def test_collection_output_is_a_copy_of_the_input(context):
    node = IntegerCollectionInvocation(id="n", collection=[1, 2])
    output = node.invoke(context)
    output.collection.append(3)
    assert node.collection == [1, 2]


def test_color_primitive(context):
    output = ColorInvocation(id="n", color={"r": 10, "g": 20, "b": 30, "a": 40}).invoke(context)
    assert output.type == "color_output"
    assert output.color == ColorField(r=10, g=20, b=30, a=40)
    assert ColorInvocation(id="n").invoke(context).color.tuple() == (0, 0, 0, 255)


def test_color_channels_are_limited_to_0_255():
    with pytest.raises(pydantic.ValidationError):
        ColorInvocation(id="n", color={"r": 256, "g": 0, "b": 0})


def test_color_collection(context):
    colors = [ColorField(r=1, g=2, b=3), ColorField(r=4, g=5, b=6, a=7)]
    output = ColorCollectionInvocation(id="n", collection=colors).invoke(context)
    assert output.type == "color_collection_output"
    assert [color.tuple() for color in output.collection] == [(1, 2, 3, 255), (4, 5, 6, 7)]
