"""Execution semantics of DESIGN.md, run on every store backend."""

from __future__ import annotations

import threading

import pytest
from helpers import edge, graph

from nodeloom import (
    BaseInvocation,
    BaseInvocationOutput,
    InputField,
    OutputField,
    hookimpl,
    invocation,
    invocation_output,
)
from nodeloom.execute import run_graph
from nodeloom.graph.errors import GraphValidationError


def values(result, node_id, field="value"):
    return [output[field] for output in result.results.get(node_id, [])]


def run(data, store, plugin_manager, **kwargs):
    return run_graph(data, store, plugin_manager=plugin_manager, **kwargs)


def test_straight_chain(store, plugin_manager):
    data = graph(
        {
            "i": {"type": "integer", "value": 3},
            "a": {"type": "add", "b": 4},
            "m": {"type": "mul", "b": 2},
        },
        [edge("i", "value", "a", "a"), edge("a", "value", "m", "a")],
    )
    result = run(data, store, plugin_manager)
    assert result.status == "completed"
    assert values(result, "m") == [14]
    assert result.results["a"] == [{"type": "integer_output", "value": 7}]
    assert store.get_session(result.session_id).status == "completed"


def test_iterate_node_collect(store, plugin_manager):
    data = graph(
        {
            "n1": {"type": "range", "start": 0, "stop": 3, "step": 1},
            "it": {"type": "iterate"},
            "m": {"type": "mul", "b": 10},
            "c": {"type": "collect"},
        },
        [
            edge("n1", "collection", "it", "collection"),
            edge("it", "item", "m", "a"),
            edge("m", "value", "c", "item"),
        ],
    )
    result = run(data, store, plugin_manager)
    assert values(result, "c", "collection") == [[0, 10, 20]]
    assert values(result, "m") == [0, 10, 20]
    assert [(o["item"], o["index"], o["total"]) for o in result.results["it"]] == [
        (0, 0, 3),
        (1, 1, 3),
        (2, 2, 3),
    ]


def test_two_parallel_iterators_run_every_combination(store, plugin_manager):
    data = graph(
        {
            "r1": {"type": "range", "start": 0, "stop": 2},
            "r2": {"type": "range", "start": 100, "stop": 103},
            "i1": {"type": "iterate"},
            "i2": {"type": "iterate"},
            "add": {"type": "add"},
            "c": {"type": "collect"},
        },
        [
            edge("r1", "collection", "i1", "collection"),
            edge("r2", "collection", "i2", "collection"),
            edge("i1", "item", "add", "a"),
            edge("i2", "item", "add", "b"),
            edge("add", "value", "c", "item"),
        ],
    )
    result = run(data, store, plugin_manager)
    assert values(result, "add") == [100, 101, 102, 101, 102, 103]
    # collect closes the innermost iteration (i2): one list per item of i1
    assert values(result, "c", "collection") == [[100, 101, 102], [101, 102, 103]]


def nested_graph():
    return graph(
        {
            "outer": {"type": "range", "start": 0, "stop": 2},
            "it1": {"type": "iterate"},
            "m": {"type": "mul", "b": 10},
            "inner": {"type": "range_of_size", "size": 2, "step": 1},
            "it2": {"type": "iterate"},
            "add": {"type": "add", "b": 0},
            "c": {"type": "collect"},
            "c2": {"type": "collect"},
        },
        [
            edge("outer", "collection", "it1", "collection"),
            edge("it1", "item", "m", "a"),
            edge("m", "value", "inner", "start"),
            edge("inner", "collection", "it2", "collection"),
            edge("it2", "item", "add", "a"),
            edge("add", "value", "c", "item"),
            edge("c", "collection", "c2", "item"),
        ],
    )


def test_nested_iterators_collect_one_list_per_outer_item(store, plugin_manager):
    result = run(nested_graph(), store, plugin_manager)
    assert values(result, "c", "collection") == [[0, 1], [10, 11]]
    assert values(result, "c2", "collection") == [[[0, 1], [10, 11]]]


def test_iterate_collect_iterate(store, plugin_manager):
    data = graph(
        {
            "r": {"type": "range", "stop": 3},
            "it1": {"type": "iterate"},
            "m": {"type": "mul", "b": 10},
            "c1": {"type": "collect"},
            "it2": {"type": "iterate"},
            "a": {"type": "add", "b": 1},
            "c2": {"type": "collect"},
        },
        [
            edge("r", "collection", "it1", "collection"),
            edge("it1", "item", "m", "a"),
            edge("m", "value", "c1", "item"),
            edge("c1", "collection", "it2", "collection"),
            edge("it2", "item", "a", "a"),
            edge("a", "value", "c2", "item"),
        ],
    )
    result = run(data, store, plugin_manager)
    assert values(result, "c1", "collection") == [[0, 10, 20]]
    assert values(result, "c2", "collection") == [[1, 11, 21]]


def test_empty_collection_runs_nothing_and_collects_empty_list(store, plugin_manager):
    data = graph(
        {
            "r": {"type": "range", "start": 5, "stop": 5},
            "it": {"type": "iterate"},
            "a": {"type": "add"},
            "c": {"type": "collect"},
        },
        [
            edge("r", "collection", "it", "collection"),
            edge("it", "item", "a", "a"),
            edge("a", "value", "c", "item"),
        ],
    )
    result = run(data, store, plugin_manager)
    assert result.status == "completed"
    assert "a" not in result.results
    assert values(result, "c", "collection") == [[]]


def test_node_error_stops_the_session(store, plugin_manager):
    data = graph(
        {
            "i": {"type": "integer", "value": -1},
            "f": {"type": "test_fail"},
            "s": {"type": "string"},
        },
        [edge("i", "value", "f", "value")],
    )
    data["nodes"]["after"] = {"id": "after", "type": "test_fail", "value": 1}
    data["edges"].append(edge("f", "value", "s", "value"))
    result = run(data, store, plugin_manager)
    assert result.status == "failed"
    [error] = result.errors
    assert error["node_id"] == "f" and error["node_type"] == "test_fail"
    assert error["error_type"] == "RuntimeError" and error["message"] == "negative value -1"
    assert "traceback" not in result.as_dict()["errors"][0]
    assert "Traceback" in result.as_dict(verbose=True)["errors"][0]["traceback"]
    assert "s" not in result.results and "after" not in result.results
    rows = store.get_results(result.session_id)
    assert [row.status for row in rows if row.source_node_id == "f"] == ["failed"]
    assert store.get_session(result.session_id).status == "failed"


def test_error_inside_an_iteration_stops_later_iterations(store, plugin_manager):
    data = graph(
        {
            "r": {"type": "range", "start": 1, "stop": -3, "step": -1},
            "it": {"type": "iterate"},
            "f": {"type": "test_fail"},
        },
        [edge("r", "collection", "it", "collection"), edge("it", "item", "f", "value")],
    )
    result = run(data, store, plugin_manager)
    assert result.status == "failed"
    assert values(result, "f") == ["1", "0"]
    assert result.errors[0]["message"] == "negative value -1"


def test_order_is_depth_first_per_iteration(store, plugin_manager):
    data = graph(
        {
            "r": {"type": "range", "stop": 2},
            "it": {"type": "iterate"},
            "a": {"type": "add", "b": 1},
            "m": {"type": "mul", "b": 3},
            "c": {"type": "collect"},
        },
        [
            edge("r", "collection", "it", "collection"),
            edge("it", "item", "a", "a"),
            edge("a", "value", "m", "a"),
            edge("m", "value", "c", "item"),
        ],
    )
    result = run(data, store, plugin_manager)
    order = [row.exec_id for row in store.get_results(result.session_id)]
    assert order == ["r", "it[0]", "a[0]", "m[0]", "it[1]", "a[1]", "m[1]", "c"]


def test_nodes_receive_deep_copies_of_inputs(store, plugin_manager):
    data = graph(
        {
            "l": {"type": "integer_collection", "collection": [1, 2]},
            "x": {"type": "test_append"},
            "y": {"type": "test_append"},
        },
        [edge("l", "collection", "x", "collection"), edge("l", "collection", "y", "collection")],
    )
    result = run(data, store, plugin_manager)
    assert values(result, "x", "collection") == [[1, 2, 99]]
    assert values(result, "y", "collection") == [[1, 2, 99]]
    assert values(result, "l", "collection") == [[1, 2]]


def test_invalid_graph_is_refused_before_anything_is_stored(store, plugin_manager):
    before = len(store.list_sessions())
    with pytest.raises(GraphValidationError):
        run(graph({"a": {"type": "nope"}}), store, plugin_manager)
    assert len(store.list_sessions()) == before


class Recorder:
    """A plugin that records every lifecycle hook call."""

    def __init__(self):
        self.calls = []

    @hookimpl
    def before_session(self, session):
        self.calls.append(("before_session", session.session_id, session.batch_id))

    @hookimpl(wrapper=True)
    def execute_node(self, invocation, context):
        self.calls.append(("execute_node:enter", context.source_node_id))
        try:
            output = yield
        except Exception as error:
            self.calls.append(("execute_node:raised", type(error).__name__))
            raise
        self.calls.append(("execute_node:exit", type(output).__name__))
        return output

    @hookimpl
    def after_node(self, invocation, context, output):
        self.calls.append(("after_node", context.node_id))

    @hookimpl
    def on_node_error(self, invocation, context, error):
        self.calls.append(("on_node_error", context.node_id, str(error)))

    @hookimpl
    def after_session(self, session, status):
        self.calls.append(("after_session", status))


def test_lifecycle_hooks_fire_around_sessions_and_nodes(store, plugin_manager):
    recorder = Recorder()
    plugin_manager.add_plugin(recorder, "recorder")
    data = graph(
        {"i": {"type": "integer", "value": 2}, "f": {"type": "test_fail"}},
        [edge("i", "value", "f", "value")],
    )
    result = run(data, store, plugin_manager)
    assert recorder.calls == [
        ("before_session", result.session_id, None),
        ("execute_node:enter", "i"),
        ("execute_node:exit", "IntegerOutput"),
        ("after_node", "i"),
        ("execute_node:enter", "f"),
        ("execute_node:exit", "TextOutput"),
        ("after_node", "f"),
        ("after_session", "completed"),
    ]
    recorder.calls.clear()
    data["nodes"]["i"]["value"] = -5
    run(data, store, plugin_manager)
    assert recorder.calls[-3:] == [
        ("execute_node:raised", "RuntimeError"),
        ("on_node_error", "f", "negative value -5"),
        ("after_session", "failed"),
    ]


def test_cancel_between_nodes(store, plugin_manager):
    cancel = threading.Event()
    data = graph(
        {"i": {"type": "integer", "value": 1}, "a": {"type": "add"}, "b": {"type": "add"}},
        [edge("i", "value", "a", "a"), edge("a", "value", "b", "a")],
    )

    def after_first_node(node_id, exec_id):
        cancel.set()

    result = run(data, store, plugin_manager, cancel_event=cancel, on_node=after_first_node)
    assert result.status == "canceled"
    assert list(result.results) == ["i"]


def test_long_node_sees_cancel_through_its_context(store, plugin_manager):
    cancel = threading.Event()
    seen = []

    def on_progress(progress):
        seen.append((progress.source_node_id, progress.step, progress.total))
        cancel.set()

    data = graph({"w": {"type": "test_wait_cancel", "value": 3}})
    result = run(data, store, plugin_manager, cancel_event=cancel, on_progress=on_progress)
    assert seen == [("w", 1, 2)]
    assert result.status == "canceled"
    assert result.results == {}


class BrokenNotices:
    """A plugin whose lifecycle notices all raise."""

    @hookimpl
    def after_node(self, invocation, context, output):
        raise RuntimeError("stats backend is down")

    @hookimpl
    def after_session(self, session, status):
        raise RuntimeError("event bus is down")


def test_a_raising_notice_plugin_does_not_fail_the_session(store, plugin_manager, caplog):
    recorder = Recorder()
    plugin_manager.add_plugin(BrokenNotices(), "broken-notices")
    plugin_manager.add_plugin(recorder, "recorder")
    data = graph(
        {"i": {"type": "integer", "value": 2}, "a": {"type": "add", "b": 1}},
        [edge("i", "value", "a", "a")],
    )
    with caplog.at_level("WARNING", logger="nodeloom"):
        result = run(data, store, plugin_manager)
    assert result.status == "completed"
    assert values(result, "a") == [3]
    assert ("after_session", "completed") in recorder.calls  # the other plugin still heard it
    assert "plugin 'broken-notices': hook after_node failed" in caplog.text
    assert "event bus is down" in caplog.text


def test_iterate_wired_straight_into_collect(store, plugin_manager):
    data = graph(
        {
            "l": {"type": "integer_collection", "collection": [1, 2]},
            "i": {"type": "iterate"},
            "c": {"type": "collect"},
            "ci": {"type": "collect"},
        },
        [
            edge("l", "collection", "i", "collection"),
            edge("i", "item", "c", "item"),
            edge("i", "index", "ci", "item"),
        ],
    )
    result = run(data, store, plugin_manager)
    assert result.status == "completed", result.errors
    assert values(result, "c", "collection") == [[1, 2]]
    assert values(result, "ci", "collection") == [[0, 1]]


def test_inner_iterate_wired_straight_into_collect_per_outer_item(store, plugin_manager):
    data = graph(
        {
            "outer": {"type": "range", "stop": 2},
            "it1": {"type": "iterate"},
            "inner": {"type": "range_of_size", "size": 3},
            "it2": {"type": "iterate"},
            "c": {"type": "collect"},
        },
        [
            edge("outer", "collection", "it1", "collection"),
            edge("it1", "item", "inner", "start"),
            edge("inner", "collection", "it2", "collection"),
            edge("it2", "item", "c", "item"),
        ],
    )
    result = run(data, store, plugin_manager)
    assert values(result, "c", "collection") == [[0, 1, 2], [1, 2, 3]]


def test_independent_iterator_declared_first_still_runs_before_use(store, plugin_manager):
    data = graph(
        {
            "it_b": {"type": "iterate", "collection": [10, 20]},
            "it_a": {"type": "iterate", "collection": [1, 2]},
            "add": {"type": "add"},
            "c": {"type": "collect"},
            "c2": {"type": "collect"},
        },
        [
            edge("it_a", "item", "add", "a"),
            edge("it_b", "item", "add", "b"),
            edge("add", "value", "c", "item"),
            edge("c", "collection", "c2", "item"),
        ],
    )
    result = run(data, store, plugin_manager)
    assert result.status == "completed", result.errors
    # it_b comes first in the graph, so it is the outer iteration
    assert values(result, "c2", "collection") == [[[11, 12], [21, 22]]]


@invocation_output("test_steps_output")
class StepsOutput(BaseInvocationOutput):
    steps: int = OutputField(description="Steps done")


@invocation("test_steps", category="test")
class StepsInvocation(BaseInvocation):
    """Reports progress on each of its steps and never checks for cancellation itself."""

    steps: int = InputField(default=5, description="How many steps")

    def invoke(self, context) -> StepsOutput:
        for step in range(1, self.steps + 1):
            STEPS_DONE.append(step)
            context.report_progress(step, self.steps)
        return StepsOutput(steps=self.steps)


STEPS_DONE: list[int] = []


class StepNodes:
    @hookimpl
    def register_invocations(self, register):
        register(StepsInvocation)


def test_a_progress_report_is_a_cancellation_point(store, plugin_manager):
    plugin_manager.add_plugin(StepNodes(), "step-nodes")
    STEPS_DONE.clear()
    cancel = threading.Event()

    def on_progress(progress):
        if progress.step == 2:
            cancel.set()

    result = run(
        graph({"s": {"type": "test_steps"}}),
        store,
        plugin_manager,
        cancel_event=cancel,
        on_progress=on_progress,
    )
    assert result.status == "canceled"
    assert STEPS_DONE == [1, 2]
