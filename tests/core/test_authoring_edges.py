"""Authoring corner cases a pack author will hit: postponed annotations, extra field keywords."""

from __future__ import annotations

import importlib.util
import sys
import textwrap

import pytest
from helpers import edge, graph
from pydantic import ValidationError

import nodeloom
from nodeloom import (
    BaseInvocation,
    BaseInvocationOutput,
    InputField,
    OutputField,
    invocation,
    invocation_output,
)
from nodeloom.execute import run_graph

POSTPONED_PACK = '''
from __future__ import annotations

from nodeloom import BaseInvocation, BaseInvocationOutput, InputField, OutputField, hookimpl
from nodeloom import invocation, invocation_output


@invocation("later_pair", category="test")
class PairInvocation(BaseInvocation):
    """Uses an output class and a field type that are only defined further down."""

    pair: Pair = InputField(description="Two numbers")

    def invoke(self, context) -> PairOutput:
        return PairOutput(total=self.pair.left + self.pair.right)


from pydantic import BaseModel


class Pair(BaseModel):
    left: int
    right: int


@invocation_output("later_pair_output")
class PairOutput(BaseInvocationOutput):
    total: int = OutputField(description="left + right")


@hookimpl
def register_invocations(register):
    register(PairInvocation)
'''


def test_pack_with_postponed_annotations_and_forward_references(tmp_path, monkeypatch):
    path = tmp_path / "later_pack.py"
    path.write_text(textwrap.dedent(POSTPONED_PACK))
    spec = importlib.util.spec_from_file_location("later_pack", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "later_pack", module)
    spec.loader.exec_module(module)

    manager = nodeloom.make_plugin_manager()
    record = manager.add_plugin(module, "later-pack")
    assert record.status == "active", record.error
    data = graph({"p": {"type": "later_pair", "pair": {"left": 2, "right": 40}}})
    result = run_graph(
        data, nodeloom.open_store("memory://", plugin_manager=manager), plugin_manager=manager
    )
    assert result.results["p"] == [{"type": "later_pair_output", "total": 42}]


@invocation_output("hinted_output")
class HintedOutput(BaseInvocationOutput):
    value: str = OutputField(description="The code", ui_hint="code")


@invocation("hinted", category="test")
class HintedInvocation(BaseInvocation):
    """An input with a pattern constraint and front-end hints pydantic does not know."""

    code: str = InputField(
        default="ab", pattern=r"^[a-z]+$", ui_type="string", ui_order=2, description="Code"
    )

    def invoke(self, context) -> HintedOutput:
        return HintedOutput(value=self.code)


def test_extra_field_keywords_reach_the_schema_and_constraints_hold():
    schema = HintedInvocation.model_json_schema()["properties"]["code"]
    assert schema["ui_type"] == "string" and schema["ui_order"] == 2
    assert schema["pattern"] == "^[a-z]+$"
    assert HintedOutput.model_json_schema()["properties"]["value"]["ui_hint"] == "code"
    with pytest.raises(ValidationError):
        HintedInvocation(id="h", code="ABC")


def test_edges_into_a_constrained_input_are_checked_when_the_node_runs():
    class Nodes:
        @nodeloom.hookimpl
        def register_invocations(self, register):
            register(HintedInvocation)

    manager = nodeloom.make_plugin_manager()
    manager.add_plugin(Nodes(), "hinted-nodes")
    data = graph(
        {"s": {"type": "string", "value": "NOT LOWER"}, "h": {"type": "hinted"}},
        [edge("s", "value", "h", "code")],
    )
    result = run_graph(
        data, nodeloom.open_store("memory://", plugin_manager=manager), plugin_manager=manager
    )
    assert result.status == "failed"
    assert (
        result.errors[0]["node_id"] == "h" and result.errors[0]["error_type"] == "ValidationError"
    )
