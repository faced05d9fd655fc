"""Fixtures for graph tests: a plugin manager with the primitives and a few typed test nodes."""

from __future__ import annotations

from typing import Any

import pytest

import nodeloom
from nodeloom import (
    BaseInvocation,
    BaseInvocationOutput,
    InputField,
    OutputField,
    hookimpl,
    invocation,
    invocation_output,
)


@invocation_output("test_poly_output")
class PolyOutput(BaseInvocationOutput):
    values: list[int] = OutputField(description="The values, as a list")


@invocation("test_poly", category="test")
class PolyInvocation(BaseInvocation):
    """Accepts one int or a list of ints."""

    value: int | list[int] = InputField(description="One or many")

    def invoke(self, context) -> PolyOutput:
        return PolyOutput(values=self.value if isinstance(self.value, list) else [self.value])


@invocation_output("test_any_output")
class AnyOutput(BaseInvocationOutput):
    value: Any = OutputField(description="Whatever came in")


@invocation("test_any", category="test")
class AnyInvocation(BaseInvocation):
    """Passes anything through."""

    value: Any = InputField(default=None, description="Anything")

    def invoke(self, context) -> AnyOutput:
        return AnyOutput(value=self.value)


@invocation_output("test_strings_output")
class StringsOutput(BaseInvocationOutput):
    collection: list[str] = OutputField(description="Strings")


@invocation("test_strings", category="test")
class StringsInvocation(BaseInvocation):
    """Emits a list of strings."""

    collection: list[str] = InputField(default=["a", "b"], description="Strings")

    def invoke(self, context) -> StringsOutput:
        return StringsOutput(collection=list(self.collection))


class TestNodes:
    @hookimpl
    def register_invocations(self, register):
        for cls in (PolyInvocation, AnyInvocation, StringsInvocation):
            register(cls)


@pytest.fixture
def plugin_manager():
    manager = nodeloom.make_plugin_manager()
    record = manager.add_plugin(TestNodes(), "graph-test-nodes")
    assert record.status == "active", record.error
    return manager


@pytest.fixture
def registry(plugin_manager):
    return plugin_manager.registry
