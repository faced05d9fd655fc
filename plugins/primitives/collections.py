"""Nodes that build integer collections: ranges and seedable random ranges."""

from __future__ import annotations

from nodeloom import BaseInvocation, InputField, InvocationContext, invocation
from nodeloom_primitives.math import INT32_MAX, SEED_MAX, random_generator
from nodeloom_primitives.primitives import IntegerCollectionOutput


@invocation(
    "range",
    title="Integer Range",
    tags=["collection", "integer", "range"],
    category="collections",
    version="1.0.0",
)
class RangeInvocation(BaseInvocation):
    """The integers from start up to (not including) stop, stepping by step.

    Works like Python's ``range``: a negative step counts down, and a range that ends before it
    starts is empty. A step of 0 is an error.
    """

    start: int = InputField(default=0, description="The start of the range")
    stop: int = InputField(default=10, description="The stop of the range")
    step: int = InputField(default=1, description="The step of the range")

    def invoke(self, context: InvocationContext) -> IntegerCollectionOutput:
        if self.step == 0:
            raise ValueError(f"range node '{self.id}': 'step' must not be 0")
        return IntegerCollectionOutput(collection=list(range(self.start, self.stop, self.step)))


@invocation(
    "range_of_size",
    title="Integer Range of Size",
    tags=["collection", "integer", "size", "range"],
    category="collections",
    version="1.0.0",
)
class RangeOfSizeInvocation(BaseInvocation):
    """``size`` integers: start, start + step, start + 2 * step, ..."""

    start: int = InputField(default=0, description="The start of the range")
    size: int = InputField(default=1, ge=0, description="The number of values")
    step: int = InputField(default=1, description="The step of the range")

    def invoke(self, context: InvocationContext) -> IntegerCollectionOutput:
        return IntegerCollectionOutput(
            collection=[self.start + index * self.step for index in range(self.size)]
        )


@invocation(
    "random_range",
    title="Random Range",
    tags=["range", "integer", "random", "collection"],
    category="collections",
    version="1.0.1",
    use_cache=False,
)
class RandomRangeInvocation(BaseInvocation):
    """``size`` random integers in [low, high); the same seed gives the same values as InvokeAI."""

    low: int = InputField(default=0, description="The inclusive low value")
    high: int = InputField(default=INT32_MAX, description="The exclusive high value")
    size: int = InputField(default=1, ge=0, description="The number of values to generate")
    seed: int = InputField(
        default=0, ge=0, le=SEED_MAX, description="The seed for the random number generator"
    )

    def invoke(self, context: InvocationContext) -> IntegerCollectionOutput:
        if self.low >= self.high:
            raise ValueError(
                f"random_range node '{self.id}': 'low' ({self.low}) must be less than "
                f"'high' ({self.high})"
            )
        values = random_generator(self.seed).integers(low=self.low, high=self.high, size=self.size)
        return IntegerCollectionOutput(collection=[int(value) for value in values])


NODES: tuple[type[BaseInvocation], ...] = (
    RangeInvocation,
    RangeOfSizeInvocation,
    RandomRangeInvocation,
)
