"""Graph validation: each rule of DESIGN.md, and every problem reported at once."""

from __future__ import annotations

import pytest
from helpers import edge, graph

from nodeloom.graph.errors import GraphValidationError
from nodeloom.graph.load import check_graph_data, load_graph_file
from nodeloom.graph.model import Edge, EdgeConnection, Graph, parse_graph


def problems(data, registry) -> list[tuple[str, str | None, str | None]]:
    _, errors = check_graph_data(data, registry)
    return [(e.code, e.node_id, e.field) for e in errors]


def test_valid_graph_from_design(registry):
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
    assert problems(data, registry) == []
    parsed = parse_graph(data, registry)
    assert set(parsed.nodes) == {"n1", "it", "m", "c"}
    assert parsed.nodes["m"].b == 10


def test_unknown_node_type_names_close_matches(registry):
    _, errors = check_graph_data(graph({"a": {"type": "ad"}}), registry)
    assert [e.code for e in errors] == ["unknown_node_type"]
    assert "'add'" in errors[0].message and errors[0].node_id == "a"


def test_node_id_mismatch(registry):
    data = {"nodes": {"a": {"id": "b", "type": "integer"}}, "edges": []}
    assert problems(data, registry) == [("node_id_mismatch", "a", None)]


def test_duplicate_node_id_in_file(tmp_path, registry):
    path = tmp_path / "g.json"
    path.write_text('{"nodes": {"a": {"type": "integer"}, "a": {"type": "integer"}}, "edges": []}')
    with pytest.raises(GraphValidationError) as raised:
        load_graph_file(path, registry)
    assert raised.value.errors[0].code == "duplicate_key"
    assert "'a'" in raised.value.errors[0].message


def test_malformed_json_names_file_line_and_column(tmp_path, registry):
    path = tmp_path / "bad.json"
    path.write_text('{"nodes": {\n  "a": {"type": "integer",}\n}}')
    with pytest.raises(GraphValidationError) as raised:
        load_graph_file(path, registry)
    error = raised.value.errors[0]
    assert error.code == "invalid_json"
    assert f"{path}:2:" in error.message


def test_unknown_field_and_wrong_value_type(registry):
    data = graph({"a": {"type": "add", "a": "seven", "bee": 1}})
    found = problems(data, registry)
    assert ("invalid_value", "a", "a") in found
    assert ("unknown_field", "a", "bee") in found


def test_edge_to_missing_node_and_field(registry):
    data = graph(
        {"a": {"type": "integer", "value": 1}, "b": {"type": "add"}},
        [
            edge("ghost", "value", "b", "a"),
            edge("a", "nope", "b", "b"),
            edge("a", "value", "b", "zzz"),
        ],
    )
    found = problems(data, registry)
    assert ("edge_missing_node", "ghost", "value") in found
    assert ("edge_missing_field", "a", "nope") in found
    assert ("edge_missing_field", "b", "zzz") in found


def test_more_than_one_edge_into_an_input(registry):
    data = graph(
        {"x": {"type": "integer"}, "y": {"type": "integer"}, "s": {"type": "add"}},
        [edge("x", "value", "s", "a"), edge("y", "value", "s", "a")],
    )
    assert ("multiple_inputs", "s", "a") in problems(data, registry)


def test_self_loop_is_a_cycle(registry):
    data = graph({"a": {"type": "add"}}, [edge("a", "value", "a", "b")])
    found = problems(data, registry)
    assert ("cycle", "a", None) in found


def test_long_cycle_is_reported_with_its_path(registry):
    nodes = {f"n{i}": {"type": "add"} for i in range(50)}
    edges = [edge(f"n{i}", "value", f"n{i + 1}", "a") for i in range(49)] + [
        edge("n49", "value", "n0", "a")
    ]
    _, errors = check_graph_data(graph(nodes, edges), registry)
    cycles = [e for e in errors if e.code == "cycle"]
    assert len(cycles) == 1
    assert "n0 -> n1" in cycles[0].message and "n49 -> n0" in cycles[0].message


def test_int_to_float_allowed_float_to_int_rejected(registry):
    ok = graph(
        {"i": {"type": "integer", "value": 2}, "f": {"type": "add_float"}},
        [edge("i", "value", "f", "a")],
    )
    assert problems(ok, registry) == []
    bad = graph(
        {"f": {"type": "float", "value": 2.5}, "i": {"type": "add"}}, [edge("f", "value", "i", "a")]
    )
    _, errors = check_graph_data(bad, registry)
    assert [(e.code, e.node_id, e.field) for e in errors] == [("type_mismatch", "i", "a")]
    assert "float_to_int" in errors[0].message


def test_polymorphic_input_accepts_one_or_a_list(registry):
    single = graph(
        {"i": {"type": "integer"}, "p": {"type": "test_poly"}}, [edge("i", "value", "p", "value")]
    )
    many = graph(
        {"r": {"type": "range", "stop": 3}, "p": {"type": "test_poly"}},
        [edge("r", "collection", "p", "value")],
    )
    wrong = graph(
        {"s": {"type": "string"}, "p": {"type": "test_poly"}}, [edge("s", "value", "p", "value")]
    )
    assert problems(single, registry) == []
    assert problems(many, registry) == []
    assert problems(wrong, registry) == [("type_mismatch", "p", "value")]


def test_anything_goes_into_any(registry):
    data = graph(
        {
            "s": {"type": "string"},
            "r": {"type": "range"},
            "a": {"type": "test_any"},
            "b": {"type": "test_any"},
        },
        [edge("s", "value", "a", "value"), edge("r", "collection", "b", "value")],
    )
    assert problems(data, registry) == []


def test_iterator_needs_a_list_input(registry):
    data = graph(
        {"i": {"type": "integer"}, "it": {"type": "iterate"}},
        [edge("i", "value", "it", "collection")],
    )
    assert ("iterator_input", "it", "collection") in problems(data, registry)


def test_iterator_without_collection(registry):
    assert ("iterator_input", "it", "collection") in problems(
        graph({"it": {"type": "iterate"}}), registry
    )


def test_iterator_consumers_must_accept_the_element_type(registry):
    data = graph(
        {"s": {"type": "test_strings"}, "it": {"type": "iterate"}, "a": {"type": "add"}},
        [edge("s", "collection", "it", "collection"), edge("it", "item", "a", "a")],
    )
    _, errors = check_graph_data(data, registry)
    assert [(e.code, e.node_id, e.field) for e in errors] == [("iterator_output", "a", "a")]
    assert "expected int, got str" in errors[0].message


def test_collector_needs_one_item_type(registry):
    data = graph(
        {"i": {"type": "integer"}, "s": {"type": "string"}, "c": {"type": "collect"}},
        [edge("i", "value", "c", "item"), edge("s", "value", "c", "item")],
    )
    assert ("collector_input", "c", "item") in problems(data, registry)


def test_collector_mixes_int_and_float_as_float(registry):
    data = graph(
        {
            "i": {"type": "integer"},
            "f": {"type": "float"},
            "c": {"type": "collect"},
            "ok": {"type": "float_collection"},
            "bad": {"type": "integer_collection"},
        },
        [
            edge("i", "value", "c", "item"),
            edge("f", "value", "c", "item"),
            edge("c", "collection", "ok", "collection"),
            edge("c", "collection", "bad", "collection"),
        ],
    )
    assert problems(data, registry) == [("collector_output", "bad", "collection")]


def test_collector_consumers_accept_a_list_of_the_item_type(registry):
    data = graph(
        {
            "r": {"type": "range"},
            "it": {"type": "iterate"},
            "c": {"type": "collect"},
            "ints": {"type": "integer_collection"},
            "strs": {"type": "string_collection"},
        },
        [
            edge("r", "collection", "it", "collection"),
            edge("it", "item", "c", "item"),
            edge("c", "collection", "ints", "collection"),
            edge("c", "collection", "strs", "collection"),
        ],
    )
    assert problems(data, registry) == [("collector_output", "strs", "collection")]


def test_required_input_needs_value_or_edge(registry):
    data = graph({"p": {"type": "test_poly"}})
    assert problems(data, registry) == [("missing_input", "p", "value")]
    fed = graph(
        {"i": {"type": "integer"}, "p": {"type": "test_poly"}}, [edge("i", "value", "p", "value")]
    )
    assert problems(fed, registry) == []


def test_several_errors_reported_together(registry):
    data = graph(
        {
            "a": {"type": "nope"},
            "b": {"type": "add", "a": "x"},
            "f": {"type": "float"},
            "c": {"type": "add"},
            "p": {"type": "test_poly"},
        },
        [edge("f", "value", "c", "a"), edge("c", "value", "c", "b")],
    )
    codes = {code for code, _, _ in problems(data, registry)}
    assert {"unknown_node_type", "invalid_value", "cycle", "missing_input"} <= codes


def test_ten_thousand_node_chain_validates(registry):
    count = 10_000
    nodes = {f"n{i}": {"type": "add", "b": 1} for i in range(count)}
    edges = [edge(f"n{i}", "value", f"n{i + 1}", "a") for i in range(count - 1)]
    parsed = parse_graph(graph(nodes, edges), registry)
    assert len(parsed.nodes) == count


def test_unknown_top_level_key_and_bad_edge_shape(registry):
    found = problems({"nodes": {}, "edges": [{"source": {"node_id": "a"}}], "edgez": []}, registry)
    assert ("invalid_graph", None, None) in found
    assert ("invalid_edge", None, None) in found


def test_graph_round_trips_through_json(registry):
    data = graph(
        {"i": {"type": "integer", "value": 4}, "p": {"type": "test_poly"}},
        [edge("i", "value", "p", "value")],
    )
    parsed = parse_graph(data, registry)
    again = parse_graph(parsed.to_dict(), registry)
    assert again.to_dict() == parsed.to_dict()
    assert "value" not in again.to_dict()["nodes"]["p"]  # unset required input stays unset


class TestEditing:
    def test_add_update_delete_node(self, registry):
        integer = registry.node_class("integer")
        add = registry.node_class("add")
        g = Graph()
        g.add_node(integer(id="i", value=3))
        with pytest.raises(GraphValidationError, match="already exists"):
            g.add_node(integer(id="i"))
        g.add_node(add(id="s", b=1))
        g.add_edge(
            Edge(
                source=EdgeConnection(node_id="i", field="value"),
                destination=EdgeConnection(node_id="s", field="a"),
            )
        )
        g.update_node("i", integer(id="i", value=5))
        assert g.nodes["i"].value == 5 and len(g.edges) == 1
        g.delete_node("i")
        assert g.edges == [] and "i" not in g.nodes
        with pytest.raises(GraphValidationError, match="no node 'i'"):
            g.delete_node("i")

    def test_add_edge_rejects_bad_edges(self, registry):
        g = Graph()
        g.add_node(registry.node_class("float")(id="f"))
        g.add_node(registry.node_class("add")(id="s"))

        def connect(source, source_field, destination, destination_field):
            g.add_edge(
                Edge(
                    source=EdgeConnection(node_id=source, field=source_field),
                    destination=EdgeConnection(node_id=destination, field=destination_field),
                )
            )

        with pytest.raises(GraphValidationError) as raised:
            connect("f", "value", "s", "a")
        assert raised.value.errors[0].code == "type_mismatch"
        with pytest.raises(GraphValidationError) as raised:
            connect("s", "value", "s", "a")
        assert raised.value.errors[0].code == "cycle"
        with pytest.raises(GraphValidationError) as raised:
            connect("ghost", "value", "s", "a")
        assert raised.value.errors[0].code == "edge_missing_node"
        assert g.edges == []

    def test_update_node_refuses_to_orphan_an_edge(self, registry):
        g = parse_graph(
            graph({"i": {"type": "integer"}, "s": {"type": "add"}}, [edge("i", "value", "s", "a")]),
            registry,
        )
        with pytest.raises(GraphValidationError, match="needs input 'a'"):
            g.update_node("s", registry.node_class("string")(id="s"))
        g.delete_edge(g.edges[0])
        assert g.edges == []


def test_broken_edge_into_required_input_is_reported_once(registry):
    data = graph(
        {"x": {"type": "nope"}, "p": {"type": "test_poly"}}, [edge("x", "value", "p", "value")]
    )
    assert problems(data, registry) == [("unknown_node_type", "x", None)]


@pytest.mark.parametrize("nodes", [5, None, True, "abc", []])
def test_nodes_of_the_wrong_shape(registry, nodes):
    assert problems({"nodes": nodes, "edges": []}, registry) == [("invalid_graph", None, None)]


def test_type_that_is_not_a_string(registry):
    _, errors = check_graph_data({"nodes": {"a": {"type": 7}}}, registry)
    assert [(e.code, e.node_id) for e in errors] == [("missing_type", "a")]
    assert "must be a string, got 7" in errors[0].message
