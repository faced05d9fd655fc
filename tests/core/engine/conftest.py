"""Fixtures for execution tests: test nodes, a plugin manager with them, and a store per backend."""

from __future__ import annotations

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
from nodeloom.storage import open_store


@invocation_output("test_list_output")
class ListOutput(BaseInvocationOutput):
    collection: list[int] = OutputField(description="A list of ints")


@invocation("test_append", category="test")
class AppendInvocation(BaseInvocation):
    """Appends 99 to its input list, in place, to prove inputs are copies."""

    collection: list[int] = InputField(description="The list to extend")

    def invoke(self, context) -> ListOutput:
        self.collection.append(99)
        return ListOutput(collection=self.collection)


@invocation_output("test_text_output")
class TextOutput(BaseInvocationOutput):
    value: str = OutputField(description="Text")


@invocation("test_fail", category="test")
class FailInvocation(BaseInvocation):
    """Raises when its value is negative."""

    value: int = InputField(default=0, description="Fails below zero")

    def invoke(self, context) -> TextOutput:
        if self.value < 0:
            raise RuntimeError(f"negative value {self.value}")
        return TextOutput(value=str(self.value))


@invocation("test_wait_cancel", category="test")
class WaitCancelInvocation(BaseInvocation):
    """Reports progress, then stops if its session was canceled."""

    value: int = InputField(default=0, description="Passed through")

    def invoke(self, context) -> TextOutput:
        context.report_progress(1, 2)
        context.raise_if_canceled()
        return TextOutput(value=str(self.value))


class EngineTestNodes:
    @hookimpl
    def register_invocations(self, register):
        for cls in (AppendInvocation, FailInvocation, WaitCancelInvocation):
            register(cls)


@pytest.fixture
def plugin_manager():
    manager = nodeloom.make_plugin_manager()
    record = manager.add_plugin(EngineTestNodes(), "engine-test-nodes")
    assert record.status == "active", record.error
    return manager


@pytest.fixture(params=["sqlite", "memory"])
def store(request, tmp_path, plugin_manager):
    url = f"sqlite:///{tmp_path / 'test.db'}" if request.param == "sqlite" else "memory://"
    opened = open_store(url, plugin_manager=plugin_manager)
    yield opened
    opened.close()
