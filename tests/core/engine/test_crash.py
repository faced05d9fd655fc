"""A ``nodeloom run`` killed with SIGKILL mid-graph leaves a usable database, and the session resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import crash_nodes
from helpers import edge, graph

import nodeloom
from nodeloom.execute import resume_session
from nodeloom.storage import open_store

HERE = Path(__file__).parent


def test_kill_9_mid_graph_then_resume(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    os.mkfifo(folder / "fifo")
    (folder / "block").touch()
    data = graph(
        {
            "r": {"type": "range", "stop": 5},
            "it": {"type": "iterate"},
            "g": {"type": "test_gate", "stop_at": 3, "folder": str(folder)},
            "c": {"type": "collect"},
        },
        [
            edge("r", "collection", "it", "collection"),
            edge("it", "item", "g", "value"),
            edge("g", "value", "c", "item"),
        ],
    )
    graph_file = tmp_path / "graph.json"
    graph_file.write_text(json.dumps(data))
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    child = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "crash_nodes.py"),
            "run",
            str(graph_file),
            "--db",
            url,
            "--json",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        with open(folder / "fifo") as fifo:  # returns once the node for item 3 is running
            assert fifo.read() == "x"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL

    manager = nodeloom.make_plugin_manager()
    manager.add_plugin(crash_nodes.CrashNodes(), "crash-nodes")
    store = open_store(url, plugin_manager=manager)
    [session] = store.list_sessions()
    assert session.status == "in_progress"
    finished = {row.exec_id for row in store.get_results(session.session_id)}
    assert finished == {"r", "it[0]", "g[0]", "it[1]", "g[1]", "it[2]", "g[2]", "it[3]"}
    assert (folder / "log").read_text().split() == ["0", "1", "2"]

    (folder / "block").unlink()
    result = resume_session(session.session_id, store, plugin_manager=manager)
    assert result.status == "completed"
    assert result.results["c"][0]["collection"] == [0, 1, 2, 3, 4]
    # what had finished before the crash was replayed, not run again
    assert (folder / "log").read_text().split() == ["0", "1", "2", "3", "4"]
    store.close()
