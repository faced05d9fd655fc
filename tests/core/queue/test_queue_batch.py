"""The batch model: product/zip order with runs, lazy field values, and every validation error."""

from __future__ import annotations

import pytest
from queue_builders import chain_graph, values_batch

import nodeloom
from nodeloom.batch import Batch, BatchValidationError, parse_batch


def datum(node: str, field: str, items: list) -> dict:
    return {"node_path": node, "field_name": field, "items": items}


def problems(batch: dict, manager) -> list:
    return parse_batch(batch).problems(manager.registry)


def codes(batch: dict, manager) -> list[str]:
    return [problem.code for problem in problems(batch, manager)]


def test_product_of_groups_zipped_inside_repeated_runs():
    batch = Batch(
        graph=chain_graph(),
        data=[
            [datum("a", "value", ["A0", "A1"]), datum("b", "b", ["B0", "B1"])],
            [datum("c", "b", ["C0", "C1"])],
        ],
        runs=2,
    )
    one_run = [
        (("a", "value", "A0"), ("b", "b", "B0"), ("c", "b", "C0")),
        (("a", "value", "A0"), ("b", "b", "B0"), ("c", "b", "C1")),
        (("a", "value", "A1"), ("b", "b", "B1"), ("c", "b", "C0")),
        (("a", "value", "A1"), ("b", "b", "B1"), ("c", "b", "C1")),
    ]
    assert batch.count == 8
    assert list(batch.iter_field_values()) == one_run * 2
    assert [batch.field_values(index) for index in range(8)] == one_run * 2
    with pytest.raises(IndexError):
        batch.field_values(8)


def test_three_groups_last_varies_fastest():
    batch = Batch(
        graph=chain_graph(),
        data=[[datum("a", "value", [1, 2])], [datum("b", "b", [3, 4, 5])], [datum("c", "b", [6])]],
    )
    expected = [(a, b, 6) for a in (1, 2) for b in (3, 4, 5)]
    got = [tuple(value for _, _, value in values) for values in batch.iter_field_values()]
    assert got == expected
    assert [tuple(v for *_, v in batch.field_values(i)) for i in range(6)] == expected


def test_no_data_runs_the_graph_runs_times():
    batch = parse_batch({"graph": chain_graph(), "runs": 3})
    assert batch.count == 3
    assert list(batch.iter_field_values()) == [(), (), ()]
    assert parse_batch({"graph": chain_graph(), "data": None}).count == 1


def test_iteration_is_lazy():
    batch = Batch(
        graph=chain_graph(),
        data=[[datum("a", "value", list(range(1000)))], [datum("b", "b", list(range(1000)))]],
        runs=1000,
    )
    assert batch.count == 1_000_000_000
    sessions = batch.iter_field_values()
    assert next(sessions) == (("a", "value", 0), ("b", "b", 0))
    assert batch.field_values(batch.count - 1) == (("a", "value", 999), ("b", "b", 999))


def test_a_graph_object_and_a_valid_batch(manager):
    graph = nodeloom.Graph.model_validate(chain_graph(), context={"registry": manager.registry})
    batch = Batch(graph=graph, data=[[datum("a", "value", [1, 2.0])]])
    assert batch.graph["nodes"]["a"]["type"] == "integer"
    assert batch.check(manager) is batch


def test_runs_must_be_at_least_one():
    with pytest.raises(BatchValidationError, match="runs"):
        parse_batch({"graph": chain_graph(), "runs": 0})
    with pytest.raises(BatchValidationError, match="unknown_key|Extra inputs"):
        parse_batch({"graph": chain_graph(), "run": 2})


def test_zipped_groups_of_unequal_length(manager):
    batch = {
        "graph": chain_graph(),
        "data": [[datum("a", "value", [1, 2]), datum("b", "b", [1, 2, 3])]],
    }
    [problem] = problems(batch, manager)
    assert problem.code == "batch_group_length"
    assert "'a.value' has 2" in problem.message and "'b.b' has 3" in problem.message


def test_items_of_mixed_types(manager):
    batch = values_batch([1, 2.5, "three"])
    [problem] = problems(batch, manager)
    assert (problem.code, problem.node_id, problem.field) == ("batch_mixed_types", "a", "value")
    assert "item #2 is str 'three'" in problem.message
    ints_and_floats = {
        "graph": chain_graph(),
        "data": [[datum("b", "b", [1, 2.5])]],
    }
    assert "batch_mixed_types" not in codes(ints_and_floats, manager)
    assert codes(values_batch([True, 1]), manager) == ["batch_mixed_types"]


def test_duplicate_node_field_pairs(manager):
    batch = {
        "graph": chain_graph(),
        "data": [[datum("b", "b", [1])], [datum("b", "b", [2])]],
    }
    [problem] = problems(batch, manager)
    assert (problem.code, problem.node_id, problem.field) == ("batch_duplicate_field", "b", "b")
    assert "group #1 datum #1 and group #2 datum #1" in problem.message


def test_unknown_node_and_field(manager):
    batch = {
        "graph": chain_graph(),
        "data": [[datum("nope", "value", [1])], [datum("a", "valeu", [1])]],
    }
    found = problems(batch, manager)
    assert [(p.code, p.node_id, p.field) for p in found] == [
        ("batch_unknown_node", "nope", "value"),
        ("batch_unknown_field", "a", "valeu"),
    ]
    assert "nodes: a, b, c" in found[0].message
    assert "did you mean 'value'?" in found[1].message


def test_item_invalid_for_the_field_type(manager):
    found = problems(values_batch([1.5, 2.0, 3.25]), manager)
    assert [(p.code, p.node_id, p.field) for p in found] == [
        ("batch_invalid_item", "a", "value")
    ] * 2
    assert "item #0 1.5" in found[0].message and "item #2 3.25" in found[1].message
    bounded = {"graph": chain_graph(), "data": [[datum("a", "value", ["x", "y"])]]}
    assert codes(bounded, manager) == ["batch_invalid_item", "batch_invalid_item"]


def test_empty_group_and_empty_items(manager):
    batch = {"graph": chain_graph(), "data": [[], [datum("a", "value", [])]]}
    assert codes(batch, manager) == ["batch_empty_group", "batch_empty_items"]


def test_a_field_fed_by_an_edge(manager):
    batch = {"graph": chain_graph(), "data": [[datum("b", "a", [1])]]}
    [problem] = problems(batch, manager)
    assert (problem.code, problem.node_id, problem.field) == ("batch_field_has_edge", "b", "a")
    assert "'a.value'" in problem.message


def test_the_graph_itself_is_validated(manager):
    graph = chain_graph()
    graph["nodes"]["x"] = {"id": "x", "type": "no_such_node"}
    graph["edges"].append(
        {"source": {"node_id": "c", "field": "nope"}, "destination": {"node_id": "b", "field": "b"}}
    )
    found = codes({"graph": graph}, manager)
    assert "unknown_node_type" in found and "edge_missing_field" in found


def test_batch_values_fill_required_inputs(manager, tmp_path):
    graph = chain_graph("test_queue_log", folder=str(tmp_path))  # its 'value' is required
    assert "missing_input" in codes({"graph": graph}, manager)
    batch = {"graph": graph, "data": [[datum("a", "value", [1, 2])]]}
    assert problems(batch, manager) == []


def test_every_problem_is_reported_at_once(manager):
    batch = {
        "graph": chain_graph(),
        "data": [
            [datum("a", "value", [1, "x"]), datum("nope", "value", [1])],
            [datum("a", "value", [3])],
        ],
    }
    with pytest.raises(BatchValidationError) as raised:
        parse_batch(batch).check(manager)
    assert {p.code for p in raised.value.errors} == {
        "batch_group_length",
        "batch_mixed_types",
        "batch_unknown_node",
        "batch_duplicate_field",
    }
    assert "node 'a' field 'value'" in str(raised.value)
