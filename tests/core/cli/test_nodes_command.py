"""``nodeloom nodes`` and ``nodeloom nodes show TYPE``."""

from __future__ import annotations

import json

from click.testing import CliRunner

from nodeloom.cli import cli


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_nodes_lists_pack_and_builtin_nodes(pack_manager):
    result = invoke("nodes")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TYPE", "TITLE", "CATEGORY", "VERSION", "PLUGIN"]
    assert next(line for line in lines if line.startswith("shout ")).split() == [
        "shout",
        "Shout",
        "text",
        "1.0.0",
        "shout",
    ]
    assert any(line.startswith("integer ") and line.endswith("primitives") for line in lines)
    assert any(line.startswith("iterate ") and line.endswith("core") for line in lines)
    # Failed packs are mentioned on stderr only.
    assert "plugin(s) failed to load" in result.stderr
    assert "broken_import" in result.stderr and "failed" not in result.stdout


def test_nodes_json(pack_manager):
    result = invoke("nodes", "--json")
    assert result.exit_code == 0
    nodes = json.loads(result.stdout)["nodes"]
    assert [node["type"] for node in nodes] == sorted(pack_manager.registry.nodes)
    shout = next(node for node in nodes if node["type"] == "shout")
    assert shout == {
        "type": "shout",
        "title": "Shout",
        "category": "text",
        "version": "1.0.0",
        "plugin": "shout",
        "tags": [],
        "description": "Upper-cases a string.",
    }


def test_nodes_category_filter(pack_manager):
    result = invoke("nodes", "--category", "text", "--json")
    assert result.exit_code == 0
    assert [node["type"] for node in json.loads(result.stdout)["nodes"]] == [
        "shout",
        "shout_repeat",
    ]


def test_unknown_category_is_bad_input(pack_manager):
    result = invoke("nodes", "--category", "txet")
    assert result.exit_code == 2
    assert "no node has category 'txet' (did you mean 'text'?)" in result.stderr
    assert result.stdout == ""


def test_show_describes_inputs_and_outputs(pack_manager):
    result = invoke("nodes", "show", "shout_repeat")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(
        "shout_repeat: Shout Repeatedly (category text, version 1.1.0, plugin shout)"
    )
    assert "Upper-cases a string and repeats it." in out
    lines = out.splitlines()
    assert next(line for line in lines if line.startswith("text ")).split()[:4] == [
        "text",
        "str",
        "yes",
        "-",
    ]
    assert next(line for line in lines if line.startswith("times ")).split()[:4] == [
        "times",
        "int",
        "no",
        "2",
    ]
    assert "Outputs (shout_output):" in out
    assert next(line for line in lines if line.startswith("value ")).split()[:2] == ["value", "str"]


def test_show_json(pack_manager):
    result = invoke("nodes", "show", "shout_repeat", "--json")
    assert result.exit_code == 0
    details = json.loads(result.stdout)
    assert details["output_type"] == "shout_output"
    assert details["plugin"] == "shout"
    assert details["inputs"] == [
        {
            "name": "text",
            "type": "str",
            "required": True,
            "default": None,
            "description": "Text to shout (required: a value or an edge)",
        },
        {
            "name": "times",
            "type": "int",
            "required": False,
            "default": 2,
            "description": "How many times to repeat it",
        },
    ]
    assert details["outputs"] == [
        {"name": "value", "type": "str", "description": "The shouted text"}
    ]


def test_show_renders_generic_and_model_types(pack_manager):
    details = json.loads(invoke("nodes", "show", "iterate", "--json").stdout)
    assert {field["name"]: field["type"] for field in details["inputs"]}[
        "collection"
    ] == "list[Any]"
    image = json.loads(invoke("nodes", "show", "image", "--json").stdout)
    assert image["inputs"][0]["type"] == "ImageField"


def test_show_unknown_type_names_close_matches(pack_manager):
    result = invoke("nodes", "show", "shuot")
    assert result.exit_code == 2
    assert (
        result.stderr.strip().splitlines()[-1]
        == "Error: unknown node type 'shuot'; did you mean 'shout'?"
    )
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_show_unknown_type_without_close_match(core_plugin_manager):
    result = invoke("nodes", "show", "zzzzzz")
    assert result.exit_code == 2
    assert "unknown node type 'zzzzzz'; run 'nodeloom nodes' to list them" in result.stderr


def test_real_console_script_lists_the_pack(run_nodeloom):
    result = run_nodeloom("nodes", "--json")
    assert result.returncode == 0, result.stderr
    nodes = {node["type"]: node for node in json.loads(result.stdout)["nodes"]}
    assert nodes["shout"]["plugin"] == "shout"
    assert "duplicate_ok" not in nodes and "whisper" not in nodes
    assert "warning:" in result.stderr
