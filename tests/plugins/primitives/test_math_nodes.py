"""Math nodes compute real values and fail clearly on impossible inputs."""

from __future__ import annotations

import math

import pydantic
import pytest

from nodeloom_primitives.math import (
    AbsoluteValueInvocation,
    AddFloatInvocation,
    AddInvocation,
    DivideFloatInvocation,
    DivideInvocation,
    FloatMathInvocation,
    FloatToIntegerInvocation,
    IntegerMathInvocation,
    ModulusInvocation,
    MultiplyFloatInvocation,
    MultiplyInvocation,
    RandomFloatInvocation,
    RandomIntInvocation,
    RoundFloatInvocation,
    RoundInvocation,
    SubtractFloatInvocation,
    SubtractInvocation,
)


@pytest.mark.parametrize(
    ("node_class", "a", "b", "expected"),
    [
        (AddInvocation, 2, 3, 5),
        (SubtractInvocation, 2, 3, -1),
        (MultiplyInvocation, -4, 3, -12),
        (DivideInvocation, 7, 2, 3),
        (DivideInvocation, -7, 2, -3),
        (DivideInvocation, 7, -2, -3),
        (DivideInvocation, 10**30, 3, 333333333333333333333333333333),
        (ModulusInvocation, 7, 3, 1),
        (ModulusInvocation, -7, 3, 2),
    ],
)
def test_integer_arithmetic(context, node_class, a, b, expected):
    output = node_class(id="n", a=a, b=b).invoke(context)
    assert output.type == "integer_output"
    assert output.value == expected
    assert isinstance(output.value, int)


@pytest.mark.parametrize(
    ("node_class", "a", "b", "expected"),
    [
        (AddFloatInvocation, 0.5, 0.25, 0.75),
        (SubtractFloatInvocation, 0.5, 2, -1.5),
        (MultiplyFloatInvocation, 1.5, 4, 6.0),
        (DivideFloatInvocation, 1, 4, 0.25),
    ],
)
def test_float_arithmetic(context, node_class, a, b, expected):
    output = node_class(id="n", a=a, b=b).invoke(context)
    assert output.type == "float_output"
    assert output.value == pytest.approx(expected)


def test_integer_math_defaults_are_zero(context):
    assert AddInvocation(id="n").invoke(context).value == 0


@pytest.mark.parametrize(
    ("node_class", "message"),
    [
        (DivideInvocation, "div: cannot divide 5 by zero"),
        (DivideFloatInvocation, "div_float: cannot divide 5.0 by zero"),
        (ModulusInvocation, "mod: cannot take 5 modulo zero"),
    ],
)
def test_division_by_zero_raises_a_clear_error(context, node_class, message):
    with pytest.raises(ZeroDivisionError, match=message):
        node_class(id="n", a=5, b=0).invoke(context)


def test_integer_inputs_reject_floats():
    with pytest.raises(pydantic.ValidationError):
        AddInvocation(id="n", a=1.5, b=1)


def test_abs(context):
    assert AbsoluteValueInvocation(id="n", value=-2.5).invoke(context).value == 2.5
    assert AbsoluteValueInvocation(id="n", value=-3).invoke(context).value == 3.0


@pytest.mark.parametrize("node_class", [RoundInvocation, RoundFloatInvocation])
def test_round(context, node_class):
    assert node_class(id="n", value=3.14159, decimals=2).invoke(context).value == 3.14
    assert node_class(id="n", value=2.5).invoke(context).value == 2.0
    assert node_class(id="n", value=1234.5, decimals=-2).invoke(context).value == 1200.0


@pytest.mark.parametrize(
    ("value", "multiple", "method", "expected"),
    [
        (2.6, 1, "Nearest", 3),
        (2.5, 1, "Nearest", 2),
        (-2.6, 1, "Nearest", -3),
        (2.6, 1, "Floor", 2),
        (-2.4, 1, "Floor", -3),
        (2.1, 1, "Ceiling", 3),
        (-2.6, 1, "Ceiling", -2),
        (-2.6, 1, "Truncate", -2),
        (2.6, 1, "Truncate", 2),
        (37.0, 8, "Nearest", 40),
        (37.0, 8, "Floor", 32),
        (33.0, 8, "Ceiling", 40),
        (-37.0, 8, "Truncate", -32),
    ],
)
def test_float_to_int(context, value, multiple, method, expected):
    node = FloatToIntegerInvocation(id="n", value=value, multiple=multiple, method=method)
    output = node.invoke(context)
    assert output.type == "integer_output"
    assert output.value == expected


def test_float_to_int_defaults_to_nearest(context):
    assert FloatToIntegerInvocation(id="n", value=6.7).invoke(context).value == 7


def test_float_to_int_rejects_bad_inputs(context):
    with pytest.raises(pydantic.ValidationError):
        FloatToIntegerInvocation(id="n", value=1.0, method="Up")
    with pytest.raises(pydantic.ValidationError):
        FloatToIntegerInvocation(id="n", value=1.0, multiple=0)
    with pytest.raises(ValueError, match="cannot convert inf"):
        FloatToIntegerInvocation(id="n", value=math.inf).invoke(context)


def test_rand_int_is_deterministic_for_a_seed(context):
    def draw(seed: int) -> int:
        return RandomIntInvocation(id="n", low=0, high=1_000_000, seed=seed).invoke(context).value

    assert draw(7) == draw(7)
    assert len({draw(seed) for seed in range(5)}) > 1


def test_rand_int_stays_in_range(context):
    values = [
        RandomIntInvocation(id="n", low=-3, high=3, seed=seed).invoke(context).value
        for seed in range(50)
    ]
    assert all(-3 <= value < 3 for value in values)
    assert len(set(values)) > 2


def test_rand_int_without_seed_varies_and_is_not_cached(context):
    node = RandomIntInvocation(id="n")
    assert node.use_cache is False
    assert len({node.invoke(context).value for _ in range(5)}) > 1


def test_rand_int_rejects_an_empty_range(context):
    with pytest.raises(ValueError, match="'low' \\(5\\) must be less than 'high' \\(5\\)"):
        RandomIntInvocation(id="n", low=5, high=5, seed=1).invoke(context)


def test_rand_int_rejects_a_negative_seed():
    with pytest.raises(pydantic.ValidationError):
        RandomIntInvocation(id="n", seed=-1)


def test_rand_float_is_deterministic_and_rounded(context):
    def draw(seed: int) -> float:
        return RandomFloatInvocation(id="n", decimals=3, seed=seed).invoke(context).value

    assert draw(3) == draw(3)
    assert 0.0 <= draw(3) < 1.0
    assert round(draw(3), 3) == draw(3)
    assert len({draw(seed) for seed in range(5)}) > 1


@pytest.mark.parametrize(
    ("operation", "a", "b", "expected"),
    [
        ("ADD", 2, 3, 5),
        ("SUB", 2, 3, -1),
        ("MUL", 2, 3, 6),
        ("DIV", -7, 2, -3),
        ("EXP", 2, 10, 1024),
        ("MOD", 7, 3, 1),
        ("ABS", -4, 0, 4),
        ("MIN", 2, 3, 2),
        ("MAX", 2, 3, 3),
    ],
)
def test_integer_math(context, operation, a, b, expected):
    node = IntegerMathInvocation(id="n", operation=operation, a=a, b=b)
    assert node.invoke(context).value == expected


@pytest.mark.parametrize(
    ("operation", "error"), [("DIV", ZeroDivisionError), ("MOD", ZeroDivisionError)]
)
def test_integer_math_by_zero(context, operation, error):
    with pytest.raises(error, match="zero"):
        IntegerMathInvocation(id="n", operation=operation, a=1, b=0).invoke(context)


def test_integer_math_negative_exponent(context):
    with pytest.raises(ValueError, match="not an integer"):
        IntegerMathInvocation(id="n", operation="EXP", a=2, b=-1).invoke(context)


@pytest.mark.parametrize(
    ("operation", "a", "b", "expected"),
    [
        ("ADD", 0.5, 1, 1.5),
        ("SUB", 0.5, 1, -0.5),
        ("MUL", 0.5, 3, 1.5),
        ("DIV", 1, 8, 0.125),
        ("EXP", 9, 0.5, 3.0),
        ("ABS", -1.5, 0, 1.5),
        ("SQRT", 16, 0, 4.0),
        ("MIN", 0.5, -1, -1.0),
        ("MAX", 0.5, -1, 0.5),
    ],
)
def test_float_math(context, operation, a, b, expected):
    node = FloatMathInvocation(id="n", operation=operation, a=a, b=b)
    assert node.invoke(context).value == pytest.approx(expected)


@pytest.mark.parametrize(
    ("operation", "a", "b", "error"),
    [
        ("DIV", 1, 0, ZeroDivisionError),
        ("EXP", 0, -1, ZeroDivisionError),
        ("EXP", -8, 0.5, ValueError),
        ("SQRT", -1, 0, ValueError),
    ],
)
def test_float_math_impossible_results(context, operation, a, b, error):
    with pytest.raises(error, match="float_math"):
        FloatMathInvocation(id="n", operation=operation, a=a, b=b).invoke(context)
