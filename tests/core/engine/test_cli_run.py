"""``nodeloom run``, ``sessions``, ``db``: output shapes, exit codes and bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import edge, graph

from nodeloom.cli import cli
from nodeloom.plugins import set_plugin_manager

DESIGN_GRAPH = graph(
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


@pytest.fixture
def runner(plugin_manager, tmp_path, monkeypatch):
    set_plugin_manager(plugin_manager)
    monkeypatch.setenv("NODELOOM_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("NODELOOM_DB", raising=False)
    yield CliRunner()
    set_plugin_manager(None)


@pytest.fixture
def graph_file(tmp_path):
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(DESIGN_GRAPH))
    return path


def test_run_json_shape_and_default_home_database(runner, graph_file, tmp_path):
    ran = runner.invoke(cli, ["run", str(graph_file), "--json"])
    assert ran.exit_code == 0, ran.output
    result = json.loads(ran.stdout)
    assert set(result) == {"session_id", "status", "results", "errors"}
    assert result["status"] == "completed" and result["errors"] == []
    assert result["results"]["c"] == [{"type": "collect_output", "collection": [0, 10, 20]}]
    assert (tmp_path / "home" / "nodeloom.db").is_file()


def test_set_values_are_parsed_as_json_then_validated(runner, graph_file):
    ran = runner.invoke(
        cli, ["run", str(graph_file), "--set", "m.b=3", "--set", "n1.stop=2", "--json"]
    )
    assert json.loads(ran.stdout)["results"]["c"][0]["collection"] == [0, 3]
    wrong = runner.invoke(cli, ["run", str(graph_file), "--set", "m.b=2.5"])
    assert wrong.exit_code == 2
    assert "node 'm' field 'b'" in wrong.output
    text = runner.invoke(cli, ["run", str(graph_file), "--set", "m.b=abc"])
    assert text.exit_code == 2 and "'abc'" in text.output


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("ghost.value=1", "there is no node 'ghost'"),
        ("m.nope=1", "has no input 'nope' (inputs: a, b)"),
        ("novalue", "expected NODE.FIELD=VALUE"),
        ("m.a=5", "is fed by an edge from 'it.item'"),
    ],
)
def test_bad_set_is_exit_2(runner, graph_file, assignment, message):
    ran = runner.invoke(cli, ["run", str(graph_file), "--set", assignment])
    assert ran.exit_code == 2
    assert message in ran.output
    assert "Traceback" not in ran.output


def test_failed_workflow_exits_1_with_the_error(runner, tmp_path):
    path = tmp_path / "fail.json"
    path.write_text(json.dumps(graph({"f": {"type": "test_fail", "value": -2}})))
    ran = runner.invoke(cli, ["run", str(path), "--json"])
    assert ran.exit_code == 1
    result = json.loads(ran.stdout)
    assert result["status"] == "failed"
    assert result["errors"] == [
        {
            "node_id": "f",
            "node_type": "test_fail",
            "error_type": "RuntimeError",
            "message": "negative value -2",
        }
    ]
    verbose = runner.invoke(cli, ["--verbose", "run", str(path), "--json"])
    assert "Traceback" in json.loads(verbose.stdout)["errors"][0]["traceback"]
    after = runner.invoke(cli, ["run", str(path), "--json", "--verbose"])
    assert "Traceback" in json.loads(after.stdout)["errors"][0]["traceback"]


def test_invalid_graph_lists_every_problem(runner, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(graph({"a": {"type": "ad"}, "b": {"type": "add", "zz": 1}})))
    ran = runner.invoke(cli, ["run", str(path)])
    assert ran.exit_code == 2
    lines = [line for line in ran.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 2
    assert "did you mean 'add'" in ran.output and "field 'zz'" in ran.output


def test_unknown_scheme_lists_registered_schemes(runner, graph_file):
    ran = runner.invoke(cli, ["run", str(graph_file), "--db", "mongo://x"])
    assert ran.exit_code == 2
    assert "memory://" in ran.output and "sqlite://" in ran.output


def test_unreadable_database_is_bad_input(runner, graph_file, tmp_path):
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    ran = runner.invoke(cli, ["run", str(graph_file), "--db", f"sqlite:///{broken}"])
    assert ran.exit_code == 2
    assert str(broken) in ran.output
    assert broken.read_bytes() == b"this is not a database" * 100


def test_sessions_list_show_delete_and_db_info(runner, graph_file, tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    session_id = json.loads(
        runner.invoke(cli, ["run", str(graph_file), "--db", url, "--json"]).stdout
    )["session_id"]
    listed = json.loads(runner.invoke(cli, ["sessions", "list", "--db", url, "--json"]).stdout)
    assert [row["session_id"] for row in listed] == [session_id]
    shown = json.loads(
        runner.invoke(cli, ["sessions", "show", session_id, "--db", url, "--json"]).stdout
    )
    assert shown["status"] == "completed"
    assert shown["graph"]["nodes"]["m"]["b"] == 10
    assert [e["exec_id"] for e in shown["executions"]][:3] == ["n1", "it[0]", "m[0]"]
    assert all(e["duration_ms"] >= 0 for e in shown["executions"])
    info = json.loads(runner.invoke(cli, ["db", "info", "--db", url, "--json"]).stdout)
    assert (
        info["counts"]["sessions"] == 1 and info["schema_version"] == info["latest_schema_version"]
    )
    assert runner.invoke(cli, ["db", "migrate", "--db", url]).exit_code == 0
    assert runner.invoke(cli, ["sessions", "delete", session_id, "--db", url]).exit_code == 0
    missing = runner.invoke(cli, ["sessions", "show", session_id, "--db", url])
    assert missing.exit_code == 2 and "no session" in missing.output
