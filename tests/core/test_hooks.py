"""Each hook spec in nodeloom.hooks, exercised through a plugin registered for one test.

The session lifecycle hooks (before_session, after_node, on_node_error, after_session) fire from
the runner and are exercised by the execution tests; execute_node is also called directly here.
"""

from __future__ import annotations

import types

import click
import pytest
from click.testing import CliRunner

from nodeloom import (
    BaseInvocation,
    BaseInvocationOutput,
    InputField,
    InvocationContext,
    OutputField,
    hookimpl,
    hooks,
    invocation,
    invocation_output,
)
from nodeloom.cli import cli
from nodeloom.schema import build_openapi
from nodeloom.storage import open_store

#: Every spec, so that a new spec without a test here (or in the execution tests) is noticed.
KNOWN_SPECS = {
    "register_invocations",
    "prepare_node_schema",
    "prepare_output_schema",
    "register_storage_backends",
    "before_session",
    "execute_node",
    "after_node",
    "on_node_error",
    "after_session",
    "register_commands",
}


@invocation_output("hook_test_output")
class HookTestOutput(BaseInvocationOutput):
    value: str = OutputField(description="The echoed text")


@invocation("hook_test_echo", title="Echo", category="test", tags=["echo"], version="2.0.1")
class HookTestEchoInvocation(BaseInvocation):
    """Echoes its text."""

    text: str = InputField(default="hi", description="Text to echo")

    def invoke(self, context: InvocationContext) -> HookTestOutput:
        return HookTestOutput(value=self.text)


def plugin(**functions) -> types.SimpleNamespace:
    return types.SimpleNamespace(**functions)


def test_the_spec_list_is_complete(plugin_manager):
    specs = {caller.name for caller in plugin_manager.hook.__dict__.values() if caller.has_spec()}
    assert specs == KNOWN_SPECS
    for name in KNOWN_SPECS:
        assert getattr(hooks, name).__doc__, f"hook spec {name} has no docstring"


def test_register_invocations(register_plugin, plugin_manager):
    @hookimpl
    def register_invocations(register):
        register(HookTestEchoInvocation)

    record = register_plugin(plugin(register_invocations=register_invocations), "echo_pack")
    assert record.status == "active"
    assert record.hooks == ["register_invocations"]
    assert record.node_count == 1
    entry = plugin_manager.registry.nodes["hook_test_echo"]
    assert (entry.cls, entry.output, entry.plugin) == (
        HookTestEchoInvocation,
        HookTestOutput,
        "echo_pack",
    )
    assert plugin_manager.registry.outputs["hook_test_output"] == (HookTestOutput, "echo_pack")


def test_prepare_node_and_output_schema_add_keys_through_the_schema_builder(register_plugin):
    seen_nodes: list[type] = []

    @hookimpl
    def register_invocations(register):
        register(HookTestEchoInvocation)

    @hookimpl
    def prepare_node_schema(schema, node_class):
        seen_nodes.append(node_class)
        schema["x-node-color"] = "teal" if node_class is HookTestEchoInvocation else "grey"

    @hookimpl
    def prepare_output_schema(schema, output_class):
        schema["x-output-of"] = output_class.output_type

    register_plugin(
        plugin(
            register_invocations=register_invocations,
            prepare_node_schema=prepare_node_schema,
            prepare_output_schema=prepare_output_schema,
        ),
        "colors",
    )
    schemas = build_openapi()["components"]["schemas"]
    echo = schemas["HookTestEchoInvocation"]
    assert echo["x-node-color"] == "teal"
    assert echo["class"] == "invocation"  # the core's own keys come through the same hook
    assert schemas["IterateInvocation"]["x-node-color"] == "grey"
    assert schemas["HookTestOutput"]["x-output-of"] == "hook_test_output"
    assert schemas["HookTestOutput"]["class"] == "output"
    assert HookTestEchoInvocation in seen_nodes


def test_register_storage_backends(register_plugin, plugin_manager):
    opened: list[str] = []

    def open_test_store(url):
        opened.append(url)
        return ("test-store", url)

    @hookimpl
    def register_storage_backends(register):
        register("hooktest", open_test_store, description="a store for this test")

    record = register_plugin(
        plugin(register_storage_backends=register_storage_backends), "teststore"
    )
    assert record.status == "active"
    backend = plugin_manager.registry.backends["hooktest"]
    assert (backend.plugin, backend.description) == ("teststore", "a store for this test")
    assert opened == []  # factories run only when a store is opened
    assert open_store("hooktest://somewhere", plugin_manager=plugin_manager) == (
        "test-store",
        "hooktest://somewhere",
    )
    assert opened == ["hooktest://somewhere"]


def test_duplicate_storage_scheme_names_both_providers(register_plugin):
    def make(scheme):
        @hookimpl
        def register_storage_backends(register):
            register(scheme, lambda url: None)

        return plugin(register_storage_backends=register_storage_backends)

    register_plugin(make("twicedb"), "first_backend")
    second = register_plugin(make("twicedb"), "second_backend")
    assert second.status == "failed"
    assert "'twicedb'" in second.error
    assert "'first_backend'" in second.error and "'second_backend'" in second.error


def test_invalid_storage_scheme_is_rejected(register_plugin, plugin_manager):
    @hookimpl
    def register_storage_backends(register):
        register("not a scheme", lambda url: None)

    record = register_plugin(
        plugin(register_storage_backends=register_storage_backends), "badscheme"
    )
    assert record.status == "failed"
    assert "plugin 'badscheme'" in record.error and "'not a scheme'" in record.error
    assert "not a scheme" not in plugin_manager.registry.backends


def test_register_commands_adds_a_command_that_runs_through_the_cli(register_plugin):
    @click.command("hello")
    @click.option("--name", default="world")
    def hello(name):
        """Say hello (added by a plugin)."""
        click.echo(f"hello {name}")

    @hookimpl
    def register_commands(cli):
        cli.add_command(hello)

    register_plugin(plugin(register_commands=register_commands), "greeter")
    runner = CliRunner()
    result = runner.invoke(cli, ["hello", "--name", "loom"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello loom\n"
    listing = runner.invoke(cli, ["--help"])
    assert "hello" in listing.stdout and "nodes" in listing.stdout


def test_a_raising_register_commands_fails_only_its_plugin(register_plugin, plugin_manager):
    @hookimpl
    def register_commands(cli):
        raise RuntimeError("cannot add commands")

    register_plugin(plugin(register_commands=register_commands), "clumsy")
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "validate" in result.stdout
    record = plugin_manager.records["clumsy"]
    assert record.status == "failed"
    assert "register_commands failed: cannot add commands" in record.error


def test_execute_node_wrappers_surround_the_core_implementation(register_plugin, plugin_manager):
    calls: list[str] = []

    @hookimpl(wrapper=True)
    def execute_node(invocation, context):
        calls.append(f"before {invocation.id}")
        output = yield
        calls.append(f"after {output.value}")
        return output

    register_plugin(plugin(execute_node=execute_node), "observer")
    node = HookTestEchoInvocation(id="e1", text="loud")
    output = plugin_manager.hook.execute_node(
        invocation=node, context=InvocationContext.standalone()
    )
    assert output == HookTestOutput(value="loud")
    assert calls == ["before e1", "after loud"]


def test_execute_node_wrapper_sees_the_node_error(register_plugin, plugin_manager):
    @invocation("hook_test_fail", version="1.0.0")
    class FailingInvocation(BaseInvocation):
        def invoke(self, context) -> HookTestOutput:
            raise ValueError("node broke")

    seen: list[BaseException] = []

    @hookimpl(wrapper=True)
    def execute_node(invocation, context):
        try:
            return (yield)
        except ValueError as error:
            seen.append(error)
            raise

    register_plugin(plugin(execute_node=execute_node), "observer")
    with pytest.raises(ValueError, match="node broke"):
        plugin_manager.hook.execute_node(
            invocation=FailingInvocation(id="f"), context=InvocationContext.standalone()
        )
    assert [str(error) for error in seen] == ["node broke"]
