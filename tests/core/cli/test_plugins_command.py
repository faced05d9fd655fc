"""``nodeloom plugins``: every plugin with its distribution, version, status and error."""

from __future__ import annotations

import json

from click.testing import CliRunner

from nodeloom.cli import cli


def test_plugins_lists_packs_with_distribution_version_and_status(pack_manager):
    result = CliRunner().invoke(cli, ["plugins"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "DISTRIBUTION", "VERSION", "STATUS", "NODES", "HOOKS"]
    shout = next(line for line in lines if line.startswith("shout "))
    assert shout.split()[:6] == [
        "shout",
        "nodeloom-shout",
        "1.2.3",
        "active",
        "2",
        "register_invocations",
    ]
    broken = next(line for line in lines if line.startswith("broken_import "))
    assert broken.split()[3] == "failed"
    assert (
        "broken_import (failed): import of 'nodeloom_broken_import' failed: RuntimeError"
        in result.stdout
    )
    assert "duplicate (failed): " in result.stdout
    assert "did you mean 'register_invocations'?" in result.stdout
    assert "Traceback" not in result.output


def test_plugins_json(pack_manager):
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0
    plugins = {plugin["name"]: plugin for plugin in json.loads(result.stdout)["plugins"]}
    assert plugins["shout"] == {
        "name": "shout",
        "distribution": "nodeloom-shout",
        "version": "1.2.3",
        "status": "active",
        "error": None,
        "hooks": ["register_invocations"],
        "node_count": 2,
        "module": "nodeloom_shout",
    }
    assert plugins["core"]["distribution"] == "nodeloom"
    assert plugins["primitives"]["status"] == "active"
    assert plugins["primitives"]["node_count"] > 30
    assert plugins["broken_import"]["status"] == "failed"
    assert "on purpose" in plugins["broken_import"]["error"]
    assert "traceback" not in plugins["broken_import"]


def test_verbose_shows_tracebacks_of_failed_plugins(pack_manager):
    text = CliRunner().invoke(cli, ["--verbose", "plugins"])
    assert text.exit_code == 0
    assert "Traceback (most recent call last)" in text.stdout
    assert (
        'raise RuntimeError("nodeloom-broken-import cannot be imported (on purpose)")'
        in text.stdout
    )
    as_json = CliRunner().invoke(cli, ["-v", "plugins", "--json"])
    plugins = {plugin["name"]: plugin for plugin in json.loads(as_json.stdout)["plugins"]}
    assert "Traceback" in plugins["broken_import"]["traceback"]
    assert plugins["shout"]["traceback"] is None


def test_real_console_script_reports_packs(run_nodeloom):
    result = run_nodeloom("plugins", "--json")
    assert result.returncode == 0, result.stderr
    plugins = {plugin["name"]: plugin for plugin in json.loads(result.stdout)["plugins"]}
    assert (plugins["shout"]["distribution"], plugins["shout"]["version"]) == (
        "nodeloom-shout",
        "1.2.3",
    )
    assert {
        plugins[name]["status"] for name in ("broken_import", "duplicate", "misspelled_hook")
    } == {"failed"}


def test_disabled_plugin_is_shown_and_its_nodes_are_gone(run_nodeloom):
    env = {"NODELOOM_DISABLE_PLUGINS": "shout"}
    plugins = run_nodeloom("plugins", "--json", env=env)
    assert plugins.returncode == 0, plugins.stderr
    shout = next(p for p in json.loads(plugins.stdout)["plugins"] if p["name"] == "shout")
    assert shout["status"] == "disabled"
    assert "NODELOOM_DISABLE_PLUGINS" in shout["error"]
    nodes = run_nodeloom("nodes", "--json", env=env)
    assert nodes.returncode == 0, nodes.stderr
    types = {node["type"] for node in json.loads(nodes.stdout)["nodes"]}
    assert "shout" not in types and "integer" in types
