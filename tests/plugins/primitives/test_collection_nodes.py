"""Range nodes build the integer collections InvokeAI builds."""

from __future__ import annotations

import numpy as np
import pytest

from nodeloom_primitives.collections import (
    RandomRangeInvocation,
    RangeInvocation,
    RangeOfSizeInvocation,
)


@pytest.mark.parametrize(
    ("start", "stop", "step", "expected"),
    [
        (0, 3, 1, [0, 1, 2]),
        (2, 11, 3, [2, 5, 8]),
        (5, 0, -2, [5, 3, 1]),
        (3, 3, 1, []),
    ],
)
def test_range(context, start, stop, step, expected):
    output = RangeInvocation(id="n", start=start, stop=stop, step=step).invoke(context)
    assert output.type == "integer_collection_output"
    assert output.collection == expected


def test_range_defaults(context):
    assert RangeInvocation(id="n").invoke(context).collection == list(range(10))


def test_range_step_zero_is_an_error(context):
    with pytest.raises(ValueError, match="'step' must not be 0"):
        RangeInvocation(id="n", step=0).invoke(context)


@pytest.mark.parametrize(
    ("start", "size", "step", "expected"),
    [
        (0, 1, 1, [0]),
        (10, 4, 5, [10, 15, 20, 25]),
        (3, 3, -1, [3, 2, 1]),
        (7, 3, 0, [7, 7, 7]),
        (1, 0, 1, []),
    ],
)
def test_range_of_size(context, start, size, step, expected):
    output = RangeOfSizeInvocation(id="n", start=start, size=size, step=step).invoke(context)
    assert output.collection == expected


def test_random_range_is_deterministic_and_in_bounds(context):
    def draw(seed: int) -> list[int]:
        node = RandomRangeInvocation(id="n", low=10, high=20, size=8, seed=seed)
        return node.invoke(context).collection

    assert draw(42) == draw(42)
    assert draw(42) != draw(43)
    assert len(draw(42)) == 8
    assert all(10 <= value < 20 for value in draw(42))
    assert all(type(value) is int for value in draw(42))


def test_random_range_matches_invokeai_for_the_same_seed(context):
    # InvokeAI draws with numpy's default_rng(seed).integers(low, high, size).
    expected = np.random.default_rng(5).integers(low=0, high=1000, size=4).tolist()
    output = RandomRangeInvocation(id="n", high=1000, size=4, seed=5).invoke(context)
    assert output.collection == expected


def test_random_range_defaults(context):
    node = RandomRangeInvocation(id="n")
    assert node.use_cache is False
    assert (node.low, node.high, node.size, node.seed) == (0, 2**31 - 1, 1, 0)
    assert len(node.invoke(context).collection) == 1


def test_random_range_empty_bounds_is_an_error(context):
    with pytest.raises(ValueError, match="'low' \\(3\\) must be less than 'high' \\(1\\)"):
        RandomRangeInvocation(id="n", low=3, high=1).invoke(context)
