"""The two control nodes the engine treats specially: ``iterate`` fans out, ``collect`` gathers."""

from __future__ import annotations

from typing import Any

from nodeloom.context import InvocationContext
from nodeloom.invocation import (
    BaseInvocation,
    BaseInvocationOutput,
    InputField,
    OutputField,
    invocation,
    invocation_output,
)

ITERATE = "iterate"
COLLECT = "collect"


@invocation_output("iterate_output")
class IterateInvocationOutput(BaseInvocationOutput):
    """One item of a collection, with its position."""

    item: Any = OutputField(description="The item being iterated over")
    index: int = OutputField(description="The index of the item")
    total: int = OutputField(description="The total number of items")


@invocation(
    ITERATE, title="Iterate", category="control", tags=["collection", "iterate"], version="1.1.0"
)
class IterateInvocation(BaseInvocation):
    """Runs everything downstream once per item of the collection."""

    collection: list[Any] = InputField(default=[], description="The collection to iterate over")
    index: int = InputField(default=0, ge=0, description="The index, filled in by the engine")

    def invoke(self, context: InvocationContext) -> IterateInvocationOutput:
        return IterateInvocationOutput(
            item=self.collection[self.index], index=self.index, total=len(self.collection)
        )


@invocation_output("collect_output")
class CollectInvocationOutput(BaseInvocationOutput):
    """The gathered items."""

    collection: list[Any] = OutputField(description="The collection of input items")


@invocation(
    COLLECT, title="Collect", category="control", tags=["collection", "collect"], version="1.0.0"
)
class CollectInvocation(BaseInvocation):
    """Gathers one value per iteration of the innermost open iterate into a list."""

    item: Any = InputField(default=None, description="The item to collect (connect edges here)")
    collection: list[Any] = InputField(
        default=[], description="The collection, filled in by the engine"
    )

    def invoke(self, context: InvocationContext) -> CollectInvocationOutput:
        return CollectInvocationOutput(collection=list(self.collection))
