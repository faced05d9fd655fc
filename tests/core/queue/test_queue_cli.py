"""``nodeloom queue``: exit codes, messages and JSON shapes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from queue_builders import chain_graph, values_batch

from nodeloom.cli import cli


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def files(tmp_path):
    """A graph file, a data-only batch file and a whole batch file."""
    graph_file = tmp_path / "graph.json"
    graph_file.write_text(json.dumps(chain_graph()))
    data_file = tmp_path / "data.json"
    whole = values_batch([1, 2, 3], runs=2)
    data_file.write_text(json.dumps({"data": whole["data"], "runs": 2}))
    batch_file = tmp_path / "batch.json"
    batch_file.write_text(json.dumps(whole))
    return graph_file, data_file, batch_file


def queue(runner, url, *args, **kwargs):
    return runner.invoke(cli, ["queue", *args, "--db", url], catch_exceptions=False, **kwargs)


def as_json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_enqueue_graph_and_data_file(runner, sqlite_url, files, manager):
    graph_file, data_file, _ = files
    result = queue(runner, sqlite_url, "enqueue", str(graph_file), "--batch", str(data_file))
    assert result.exit_code == 0, result.output
    assert "enqueued 6 of 6 session(s)" in result.output
    data = as_json(
        queue(runner, sqlite_url, "enqueue", str(graph_file), "--batch", str(data_file), "--json")
    )
    assert set(data) == {"batch_id", "enqueued", "requested", "priority", "queue"}
    assert (data["enqueued"], data["requested"], data["queue"]) == (6, 6, "default")


def test_enqueue_a_whole_batch_file_with_options(runner, sqlite_url, files, manager):
    _, _, batch_file = files
    data = as_json(
        queue(
            runner,
            sqlite_url,
            "enqueue",
            "--batch",
            str(batch_file),
            "--runs",
            "1",
            "--priority",
            "4",
            "--queue",
            "gpu",
            "--json",
        )
    )
    assert (data["enqueued"], data["priority"], data["queue"]) == (3, 4, "gpu")
    graph_only = as_json(queue(runner, sqlite_url, "enqueue", str(files[0]), "--json"))
    assert graph_only["enqueued"] == 1


def test_enqueue_bad_input_exits_2(runner, sqlite_url, files, tmp_path, manager):
    graph_file, data_file, batch_file = files
    both = queue(runner, sqlite_url, "enqueue", str(graph_file), "--batch", str(batch_file))
    assert both.exit_code == 2 and "already has a 'graph'" in both.stderr
    neither = queue(runner, sqlite_url, "enqueue")
    assert neither.exit_code == 2 and "give a graph file" in neither.stderr
    no_graph = queue(runner, sqlite_url, "enqueue", "--batch", str(data_file))
    assert no_graph.exit_code == 2 and "has no 'graph'" in no_graph.stderr
    missing = queue(runner, sqlite_url, "enqueue", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "no such graph file" in missing.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "data": [
                    [
                        {"node_path": "a", "field_name": "value", "items": [1, "x"]},
                        {"node_path": "zz", "field_name": "value", "items": [1]},
                    ]
                ]
            }
        )
    )
    result = queue(runner, sqlite_url, "enqueue", str(graph_file), "--batch", str(bad))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("Error: ") for line in lines)
    assert "Traceback" not in result.output
    assert "node 'zz' field 'value'" in result.stderr
    status = as_json(queue(runner, sqlite_url, "status", "--json"))
    assert status["batches"] == {}


def test_enqueue_reports_truncation(runner, sqlite_url, files, manager, monkeypatch):
    graph_file, data_file, _ = files
    args = ["enqueue", str(graph_file), "--batch", str(data_file), "--json"]
    data = as_json(queue(runner, sqlite_url, *args, "--max-queue-size", "4"))
    assert (data["enqueued"], data["requested"]) == (4, 6)
    monkeypatch.setenv("NODELOOM_MAX_QUEUE_SIZE", "5")
    result = queue(runner, sqlite_url, *args)
    assert json.loads(result.stdout)["enqueued"] == 1
    assert "5 session(s) were not queued" in result.stderr
    monkeypatch.setenv("NODELOOM_MAX_QUEUE_SIZE", "-3")
    result = queue(runner, sqlite_url, *args)
    assert result.exit_code == 2 and "NODELOOM_MAX_QUEUE_SIZE" in result.stderr


def test_work_status_and_list(runner, sqlite_url, files, manager):
    graph_file, data_file, _ = files
    queue(runner, sqlite_url, "enqueue", str(graph_file), "--batch", str(data_file))
    once = as_json(queue(runner, sqlite_url, "work", "--once", "--json"))
    assert once["processed"] == 1 and once["completed"] == 1
    summary = as_json(queue(runner, sqlite_url, "work", "--until-empty", "--json"))
    assert set(summary) == {
        "processed",
        "completed",
        "failed",
        "canceled",
        "recovered",
        "problems",
    }
    assert (summary["processed"], summary["completed"]) == (5, 5)
    status = as_json(queue(runner, sqlite_url, "status", "--json"))
    assert status["counts"]["completed"] == 6
    assert status["queues"]["default"] == {
        "uninitialized": 0,
        "in_progress": 0,
        "completed": 6,
        "failed": 0,
        "canceled": 0,
        "paused": False,
    }
    [batch_counts] = status["batches"].values()
    assert batch_counts["completed"] == 6
    text = queue(runner, sqlite_url, "status")
    assert text.exit_code == 0 and "queue 'default': 0 uninitialized" in text.output

    page = as_json(queue(runner, sqlite_url, "list", "--limit", "4", "--json"))
    assert len(page["items"]) == 4 and page["next_after"] == page["items"][-1]["item_id"]
    first = page["items"][0]
    assert first["status"] == "completed" and first["session_id"]
    assert first["field_values"] == [{"node_path": "a", "field_name": "value", "value": 1}]
    rest = as_json(queue(runner, sqlite_url, "list", "--after", str(page["next_after"]), "--json"))
    assert [item["batch_index"] for item in rest["items"]] == [4, 5]
    assert rest["next_after"] is None
    none = as_json(queue(runner, sqlite_url, "list", "--status", "failed", "--json"))
    assert none == {"items": [], "next_after": None}
    unknown = queue(runner, sqlite_url, "list", "--batch", "nope")
    assert unknown.exit_code == 2 and "batch 'nope' does not exist" in unknown.stderr


def test_work_exits_1_when_an_item_failed(runner, sqlite_url, tmp_path, manager):
    (tmp_path / "fail").touch()
    batch_file = tmp_path / "batch.json"
    batch_file.write_text(
        json.dumps(values_batch([1, 2], "test_queue_log", fail_at=2, folder=str(tmp_path)))
    )
    queue(runner, sqlite_url, "enqueue", "--batch", str(batch_file))
    result = queue(runner, sqlite_url, "work", "--until-empty")
    assert result.exit_code == 1
    assert "1 completed, 1 failed" in result.stdout
    assert "failing on purpose at 2" in result.stderr
    retried = queue(runner, sqlite_url, "retry", "--all", "--json")
    assert json.loads(retried.stdout) == {"retried": 1}


def test_cancel_retry_prune_clear(runner, sqlite_url, files, manager):
    graph_file, data_file, _ = files
    enq = as_json(
        queue(runner, sqlite_url, "enqueue", str(graph_file), "--batch", str(data_file), "--json")
    )
    assert as_json(queue(runner, sqlite_url, "cancel", "1", "2", "--json")) == {"canceled": 2}
    assert as_json(queue(runner, sqlite_url, "cancel", "1", "--json")) == {"canceled": 0}
    batch = ["--batch", enq["batch_id"]]
    assert as_json(queue(runner, sqlite_url, "cancel", *batch, "--json")) == {"canceled": 4}
    assert as_json(queue(runner, sqlite_url, "retry", "3", "--json")) == {"retried": 1}
    assert as_json(queue(runner, sqlite_url, "retry", *batch, "--json")) == {"retried": 5}
    assert as_json(queue(runner, sqlite_url, "cancel", "--all", "--json")) == {"canceled": 6}
    assert as_json(queue(runner, sqlite_url, "prune", "--json")) == {"pruned": 6}
    queue(runner, sqlite_url, "enqueue", str(graph_file), "--batch", str(data_file))
    refused = queue(runner, sqlite_url, "clear")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert as_json(queue(runner, sqlite_url, "clear", "--yes", "--json")) == {"cleared": 6}


def test_admin_bad_input_exits_2(runner, sqlite_url, manager):
    for verb in ("cancel", "retry"):
        nothing = queue(runner, sqlite_url, verb)
        assert nothing.exit_code == 2 and "exactly one" in nothing.stderr
        two = queue(runner, sqlite_url, verb, "1", "--all")
        assert two.exit_code == 2
        unknown = queue(runner, sqlite_url, verb, "77")
        assert unknown.exit_code == 2 and "77" in unknown.stderr
    not_a_number = queue(runner, sqlite_url, "cancel", "abc")
    assert not_a_number.exit_code == 2
    both = queue(runner, sqlite_url, "work", "--once", "--until-empty")
    assert both.exit_code == 2 and "cannot be combined" in both.stderr


def test_pause_and_resume(runner, sqlite_url, files, manager):
    graph_file, data_file, _ = files
    queue(runner, sqlite_url, "enqueue", str(graph_file), "--batch", str(data_file))
    paused = as_json(queue(runner, sqlite_url, "pause", "--json"))
    assert paused == {"queue": "default", "paused": True}
    assert as_json(queue(runner, sqlite_url, "status", "--json"))["paused"] == ["default"]
    assert as_json(queue(runner, sqlite_url, "work", "--until-empty", "--json"))["processed"] == 0
    resumed = as_json(queue(runner, sqlite_url, "resume", "--json"))
    assert resumed == {"queue": "default", "paused": False}
    assert as_json(queue(runner, sqlite_url, "work", "--until-empty", "--json"))["processed"] == 6


def test_help_explains_the_format_and_the_recovery_rule(runner):
    top = runner.invoke(cli, ["queue", "--help"])
    assert top.exit_code == 0
    assert "node_path" in top.output and "last varies" in top.output
    for command in ("enqueue", "work", "status", "list", "cancel", "retry", "prune", "clear"):
        assert command in top.output
    work = runner.invoke(cli, ["queue", "work", "--help"])
    assert "worker died" in work.output and "retry" in work.output
    enqueue = runner.invoke(cli, ["queue", "enqueue", "--help"])
    assert "whole batch" in enqueue.output
