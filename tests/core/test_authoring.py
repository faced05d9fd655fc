"""The public authoring API, used exactly as DESIGN.md shows it."""

from __future__ import annotations

import types

import nodeloom
from nodeloom import (
    BaseInvocation,
    BaseInvocationOutput,
    InputField,
    InvocationContext,
    OutputField,
    hookimpl,
    invocation,
    invocation_output,
)


@invocation_output("authoring_shout_output")
class ShoutOutput(BaseInvocationOutput):
    value: str = OutputField(description="The shouted text")


@invocation("authoring_shout", title="Shout", category="text", version="1.0.0")
class ShoutInvocation(BaseInvocation):
    """Upper-cases a string."""

    text: str = InputField(default="", description="Text to shout")

    def invoke(self, context: InvocationContext) -> ShoutOutput:
        return ShoutOutput(value=self.text.upper())


@invocation("authoring_required", version="0.2.0-beta.1")
class RequiredInputInvocation(BaseInvocation):
    text: str = InputField(description="Needs a value or an edge")

    def invoke(self, context: InvocationContext) -> ShoutOutput:
        return ShoutOutput(value=self.text)


def test_public_names_are_exported():
    for name in [
        "BaseInvocation",
        "BaseInvocationOutput",
        "InputField",
        "OutputField",
        "InvocationContext",
        "invocation",
        "invocation_output",
        "hookimpl",
    ]:
        assert name in nodeloom.__all__
        assert getattr(nodeloom, name) is not None


def test_decorators_record_metadata_and_output_type():
    assert ShoutInvocation.node_type == "authoring_shout"
    assert (ShoutInvocation.node_title, ShoutInvocation.node_category) == ("Shout", "text")
    assert ShoutInvocation.output_class() is ShoutOutput
    assert RequiredInputInvocation.node_title == "Required Input"  # derived from the class name
    assert RequiredInputInvocation.node_required_inputs == frozenset({"text"})
    assert ShoutInvocation.node_required_inputs == frozenset()
    node = ShoutInvocation(id="n")
    assert (node.type, node.is_intermediate, node.use_cache) == ("authoring_shout", False, True)


def test_invoke_directly_with_a_standalone_context(tmp_path):
    output = ShoutInvocation(id="n", text="quiet").invoke(
        InvocationContext.standalone(str(tmp_path))
    )
    assert output == ShoutOutput(value="QUIET")
    assert output.type == "authoring_shout_output"


def test_a_plugin_module_registers_through_the_hook(register_plugin, plugin_manager):
    @hookimpl
    def register_invocations(register):
        register(ShoutInvocation)
        register(RequiredInputInvocation)

    record = register_plugin(
        types.SimpleNamespace(register_invocations=register_invocations), "mypack"
    )
    assert record.status == "active", record.error
    assert record.node_count == 2
    assert plugin_manager.registry.node_class("authoring_shout") is ShoutInvocation
    assert plugin_manager.registry.nodes["authoring_required"].plugin == "mypack"
