"""The plugin manager: entry-point packs, isolated failures, rejections, disabling, check_pending."""

from __future__ import annotations

import types

import pluggy
import pytest

from nodeloom import (
    BaseInvocation,
    BaseInvocationOutput,
    InputField,
    OutputField,
    hookimpl,
    invocation,
    invocation_output,
)
from nodeloom.plugins import make_plugin_manager


@invocation_output("plugin_test_output")
class PluginTestOutput(BaseInvocationOutput):
    value: int = OutputField(description="A number")


def make_plugin(*classes: type) -> types.SimpleNamespace:
    """A plugin object whose register_invocations registers ``classes`` in order."""

    @hookimpl
    def register_invocations(register):
        for cls in classes:
            register(cls)

    return types.SimpleNamespace(register_invocations=register_invocations)


def node_class(type_name: str, version: str = "1.0.0") -> type[BaseInvocation]:
    @invocation(type_name, version=version)
    class PluginTestInvocation(BaseInvocation):
        value: int = InputField(default=0)

        def invoke(self, context) -> PluginTestOutput:
            return PluginTestOutput(value=self.value)

    return PluginTestInvocation


# --- the example packs, installed with pip and found through their entry points -----------------


def test_shout_pack_is_discovered_with_its_distribution_and_version(pack_manager):
    record = pack_manager.records["shout"]
    assert (record.status, record.distribution, record.version) == (
        "active",
        "nodeloom-shout",
        "1.2.3",
    )
    assert record.hooks == ["register_invocations"]
    assert record.node_count == 2
    assert pack_manager.registry.nodes["shout"].plugin == "shout"
    assert pack_manager.registry.nodes["shout_repeat"].output.output_type == "shout_output"


def test_pack_that_raises_on_import_is_failed_and_the_rest_works(pack_manager):
    record = pack_manager.records["broken_import"]
    assert record.status == "failed"
    assert record.distribution == "nodeloom-broken-import"
    assert record.version == "0.1.0"
    assert "RuntimeError" in record.error and "on purpose" in record.error
    assert "Traceback" in record.traceback
    assert pack_manager.records["primitives"].status == "active"
    assert {"shout", "integer", "iterate"} <= set(pack_manager.registry.nodes)


def test_pack_with_a_duplicate_type_names_both_providers_and_is_withdrawn(pack_manager):
    record = pack_manager.records["duplicate"]
    assert record.status == "failed"
    assert "'integer'" in record.error
    assert "plugin 'duplicate'" in record.error and "plugin 'primitives'" in record.error
    assert record.node_count == 0
    # The original keeps the name, and the failed pack's valid node is withdrawn too.
    assert pack_manager.registry.nodes["integer"].plugin == "primitives"
    assert "duplicate_ok" not in pack_manager.registry.nodes
    assert "duplicate_ok_output" not in pack_manager.registry.outputs
    assert pack_manager.get_plugin("duplicate") is None


def test_pack_with_a_misspelled_hook_is_rejected_with_a_hint(pack_manager):
    record = pack_manager.records["misspelled_hook"]
    assert record.status == "failed"
    assert "'register_invocation'" in record.error
    assert "did you mean 'register_invocations'?" in record.error
    assert "whisper" not in pack_manager.registry.nodes
    assert pack_manager.get_plugin("misspelled_hook") is None
    pack_manager.check_pending()  # nothing misspelled is left registered


def test_disable_plugins_environment_variable(packs_on_path, monkeypatch):
    monkeypatch.setenv("NODELOOM_DISABLE_PLUGINS", "shout, broken_import")
    manager = make_plugin_manager()
    assert manager.records["shout"].status == "disabled"
    assert manager.records["shout"].distribution == "nodeloom-shout"
    assert "NODELOOM_DISABLE_PLUGINS" in manager.records["shout"].error
    assert manager.records["broken_import"].status == "disabled"  # never imported
    assert "shout" not in manager.registry.nodes
    assert "integer" in manager.registry.nodes


def test_disabled_argument_blocks_plugins_by_name(packs_on_path, monkeypatch):
    monkeypatch.delenv("NODELOOM_DISABLE_PLUGINS", raising=False)
    manager = make_plugin_manager(disabled=["primitives"])
    assert manager.records["primitives"].status == "disabled"
    assert "float" not in manager.registry.nodes
    # With primitives gone, the duplicate pack's 'integer' no longer collides.
    assert manager.records["duplicate"].status == "active"
    assert manager.registry.nodes["integer"].plugin == "duplicate"


def test_core_only_manager_has_the_control_nodes():
    manager = make_plugin_manager(entry_points=False)
    assert set(manager.records) == {"core"}
    assert set(manager.registry.nodes) == {"iterate", "collect"}


# --- check_pending --------------------------------------------------------------------------


def test_check_pending_rejects_a_misspelled_hook_registered_directly():
    @hookimpl
    def register_invocation(register):  # missing the final 's'
        raise AssertionError("never called")

    manager = make_plugin_manager(entry_points=False)
    manager.register(types.SimpleNamespace(register_invocation=register_invocation), name="typo")
    with pytest.raises(pluggy.PluginValidationError, match="register_invocation"):
        manager.check_pending()


def test_add_plugin_rejects_a_misspelled_hook_and_keeps_the_manager_clean(
    register_plugin, plugin_manager
):
    @hookimpl
    def prepare_node_shema(schema, node_class):
        schema["never"] = True

    record = register_plugin(types.SimpleNamespace(prepare_node_shema=prepare_node_shema), "typo")
    assert record.status == "failed"
    assert "did you mean 'prepare_node_schema'?" in record.error
    plugin_manager.check_pending()


# --- registration rules: each rejection names the class and the plugin ------------------------


def _no_invoke():
    @invocation("no_invoke")
    class NoInvokeInvocation(BaseInvocation):
        value: int = 0

    return NoInvokeInvocation, "does not define invoke"


def _bad_return():
    @invocation("bad_return")
    class BadReturnInvocation(BaseInvocation):
        def invoke(self, context) -> int:
            return 1

    return BadReturnInvocation, "must be annotated to return a BaseInvocationOutput subclass"


def _reserved_field():
    @invocation("reserved_field")
    class ReservedFieldInvocation(BaseInvocation):
        use_cache: str = "yes"

        def invoke(self, context) -> PluginTestOutput:
            return PluginTestOutput(value=1)

    return ReservedFieldInvocation, "reserved field(s) use_cache"


def _bad_version():
    @invocation("bad_version", version="1.0")
    class BadVersionInvocation(BaseInvocation):
        def invoke(self, context) -> PluginTestOutput:
            return PluginTestOutput(value=1)

    return BadVersionInvocation, "'1.0' is not semver"


def _whitespace_type():
    @invocation("my node")
    class WhitespaceTypeInvocation(BaseInvocation):
        def invoke(self, context) -> PluginTestOutput:
            return PluginTestOutput(value=1)

    return WhitespaceTypeInvocation, "contain no whitespace"


@pytest.mark.parametrize(
    "make_class", [_no_invoke, _bad_return, _reserved_field, _bad_version, _whitespace_type]
)
def test_registration_rejects_invalid_nodes_naming_class_and_plugin(
    register_plugin, plugin_manager, make_class
):
    cls, reason = make_class()
    good = node_class("rejection_companion")
    record = register_plugin(make_plugin(good, cls), "badpack")
    assert record.status == "failed"
    assert reason in record.error
    assert cls.__qualname__ in record.error
    assert "plugin 'badpack'" in record.error
    # Everything the failed plugin contributed is withdrawn; the rest is untouched.
    assert "rejection_companion" not in plugin_manager.registry.nodes
    assert cls.node_type not in plugin_manager.registry.nodes
    assert "iterate" in plugin_manager.registry.nodes


def test_duplicate_type_between_two_plugins_names_both(register_plugin, plugin_manager):
    first = register_plugin(make_plugin(node_class("twice")), "first_pack")
    second = register_plugin(make_plugin(node_class("twice")), "second_pack")
    assert first.status == "active" and first.node_count == 1
    assert second.status == "failed"
    assert "node type 'twice'" in second.error
    assert "plugin 'second_pack'" in second.error and "plugin 'first_pack'" in second.error
    assert plugin_manager.registry.nodes["twice"].plugin == "first_pack"


def test_removing_a_plugin_withdraws_its_nodes(plugin_manager):
    plugin_manager.add_plugin(make_plugin(node_class("short_lived")), "temporary")
    assert "short_lived" in plugin_manager.registry.nodes
    plugin_manager.remove_plugin("temporary")
    assert "short_lived" not in plugin_manager.registry.nodes
    assert "temporary" not in plugin_manager.records
