"""``nodeloom validate GRAPH.json``: valid graphs, and every problem reported one line each."""

from __future__ import annotations

import json

from click.testing import CliRunner

from nodeloom.cli import cli

VALID = {
    "nodes": {
        "s": {"id": "s", "type": "string", "value": "hey"},
        "loud": {"id": "loud", "type": "shout"},
        "again": {"id": "again", "type": "shout_repeat", "times": 3},
    },
    "edges": [
        {
            "source": {"node_id": "s", "field": "value"},
            "destination": {"node_id": "loud", "field": "text"},
        },
        {
            "source": {"node_id": "loud", "field": "value"},
            "destination": {"node_id": "again", "field": "text"},
        },
    ],
}

#: Unknown node type, unknown field, wrong value type and a missing required input, all at once.
BROKEN = {
    "nodes": {
        "a": {"id": "a", "type": "shuot"},
        "b": {"id": "b", "type": "shout", "text": "x", "volume": 11},
        "c": {"id": "c", "type": "shout_repeat", "text": "x", "times": "many"},
        "d": {"id": "d", "type": "shout_repeat"},
    },
    "edges": [],
}


def write(tmp_path, data, name="graph.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=1))
    return str(path)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_a_graph_with_pack_nodes_is_valid(pack_manager, tmp_path):
    path = write(tmp_path, VALID)
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}: valid (3 nodes, 2 edges)\n"


def test_valid_json_output(pack_manager, tmp_path):
    result = invoke("validate", "--json", write(tmp_path, VALID))
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"valid": True, "errors": []}


def test_every_problem_is_reported_on_its_own_line(pack_manager, tmp_path):
    result = invoke("validate", write(tmp_path, BROKEN))
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert (
        "Error: node 'a': unknown node type 'shuot' (did you mean 'shout'?) [unknown_node_type]"
        in lines
    )
    assert any(
        line.startswith("Error: node 'b' field 'volume': ") and line.endswith("[unknown_field]")
        for line in lines
    )
    assert any(
        line.startswith("Error: node 'c' field 'times': ") and "integer" in line for line in lines
    )
    assert any(
        line.startswith("Error: node 'd' field 'text': ") and line.endswith("[missing_input]")
        for line in lines
    )
    assert len(lines) == 4
    assert "Traceback" not in result.output


def test_problems_as_json(pack_manager, tmp_path):
    result = invoke("validate", write(tmp_path, BROKEN), "--json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert {(error["node_id"], error["field"], error["code"]) for error in report["errors"]} >= {
        ("a", None, "unknown_node_type"),
        ("b", "volume", "unknown_field"),
        ("d", "text", "missing_input"),
    }
    assert all(set(error) == {"code", "node_id", "field", "message"} for error in report["errors"])


def test_malformed_json_names_file_line_and_column(plugin_manager, tmp_path):
    path = write(tmp_path, '{"nodes": {\n  "a": {"id": "a", "type": "integer"},\n}, "edges": []}\n')
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: {path}:3:1: malformed JSON: Expecting property name enclosed in double quotes [invalid_json]"
    ]
    as_json = json.loads(invoke("validate", path, "--json").stdout)
    assert as_json["errors"][0]["code"] == "invalid_json"
    assert f"{path}:3:1" in as_json["errors"][0]["message"]


def test_missing_file_is_bad_input(plugin_manager, tmp_path):
    result = invoke("validate", str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_real_console_script_validates_and_rejects(run_nodeloom, tmp_path):
    good = run_nodeloom("validate", write(tmp_path, VALID, "good.json"))
    assert good.returncode == 0, good.stderr
    assert "valid (3 nodes, 2 edges)" in good.stdout
    bad = run_nodeloom("--verbose", "validate", write(tmp_path, BROKEN, "bad.json"))
    assert bad.returncode == 2
    assert "Error: node 'a': unknown node type 'shuot' (did you mean 'shout'?)" in bad.stderr
    assert "Traceback" not in bad.stderr
