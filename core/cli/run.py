"""``nodeloom run``: validate a graph file, run it as a new session and print the results."""

from __future__ import annotations

import json
import signal
import sys
import threading
from typing import Any

import click

from nodeloom.cli.common import (
    EXIT_FAILED,
    db_option,
    emit_json,
    fail,
    is_verbose,
    json_option,
    open_store_or_fail,
    verbose_option,
)


def parse_assignment(text: str) -> tuple[str, str, Any]:
    """``NODE.FIELD=VALUE`` -> (node, field, value); the value is JSON when it parses, else a string."""
    target, separator, raw = text.partition("=")
    node_id, dot, field = target.rpartition(".")
    if not separator or not dot or not node_id or not field:
        fail(f"--set '{text}': expected NODE.FIELD=VALUE (for example --set seed.value=42)")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return node_id, field, value


def apply_assignments(data: Any, assignments: tuple[str, ...], registry: Any) -> None:
    """Write ``--set`` values into graph data; unknown nodes or fields exit 2 naming what exists."""
    if not assignments:
        return
    nodes = data.get("nodes") if isinstance(data, dict) else None
    if not isinstance(nodes, dict):
        fail("--set needs a graph with a 'nodes' object")
    fed = _fed_inputs(data.get("edges"))
    problems = []
    for text in assignments:
        node_id, field, value = parse_assignment(text)
        node = nodes.get(node_id)
        if not isinstance(node, dict):
            problems.append(
                f"--set '{text}': there is no node '{node_id}' (nodes: {', '.join(nodes) or 'none'})"
            )
            continue
        cls = registry.node_class(node.get("type", ""))
        if cls is not None and field not in cls.input_fields():
            fields = ", ".join(cls.input_fields()) or "none"
            problems.append(
                f"--set '{text}': node '{node_id}' ({cls.node_type}) has no input '{field}' "
                f"(inputs: {fields})"
            )
            continue
        feeder = fed.get((node_id, field))
        if feeder is not None:
            problems.append(
                f"--set '{text}': input '{field}' of node '{node_id}' is fed by an edge from "
                f"'{feeder}', which would override the value (remove the edge to set it)"
            )
            continue
        node[field] = value
    if problems:
        fail(problems)


def _fed_inputs(edges: Any) -> dict[tuple[str, str], str]:
    """(node id, input) -> 'source.field' for each edge in graph data that looks well-formed."""
    fed: dict[tuple[str, str], str] = {}
    for edge in edges if isinstance(edges, list) else []:
        try:
            source, destination = edge["source"], edge["destination"]
            fed[(destination["node_id"], destination["field"])] = (
                f"{source['node_id']}.{source['field']}"
            )
        except (TypeError, KeyError):
            continue  # malformed edges are reported by validation
    return fed


@click.command("run")
@click.argument("graph_file", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NODE.FIELD=VALUE",
    help="Set a node input before running (repeatable). VALUE is parsed as JSON when it can be.",
)
@db_option
@verbose_option
@json_option
def run_command(
    graph_file: str, assignments: tuple[str, ...], db_url: str | None, as_json: bool
) -> None:
    """Run the workflow in GRAPH_FILE as a new session and print its results.

    The graph is validated completely first; every problem is printed and nothing runs (exit 2).
    Exit 0 when the session completed, 1 when a node failed or the run was canceled (Ctrl-C
    cancels at the next node boundary).

    With --json, prints {"session_id", "status", "results": {node_id: [output, ...]}, "errors"}.
    """
    from nodeloom.execute import prepare_graph, run_graph
    from nodeloom.graph.errors import GraphValidationError
    from nodeloom.graph.load import read_json_file
    from nodeloom.plugins import get_plugin_manager

    manager = get_plugin_manager()
    try:
        data = read_json_file(graph_file, "graph file")
        apply_assignments(data, assignments, manager.registry)
        graph = prepare_graph(data, manager)
    except GraphValidationError as error:
        fail([str(problem) for problem in error.errors])

    store = open_store_or_fail(db_url)
    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set()) if _main_thread() else None
    try:
        with _ProgressDisplay(enabled=not as_json and sys.stderr.isatty()) as display:
            try:
                result = run_graph(
                    graph,
                    store,
                    plugin_manager=manager,
                    cancel_event=cancel,
                    on_progress=display.progress,
                    on_node=display.node_done,
                )
            except GraphValidationError as error:
                fail([str(problem) for problem in error.errors])
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        store.close()

    verbose = is_verbose()
    if as_json:
        emit_json(result.as_dict(verbose=verbose))
    else:
        _print_summary(result, verbose)
    if result.status != "completed":
        sys.exit(EXIT_FAILED)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _print_summary(result: Any, verbose: bool) -> None:
    click.echo(f"session {result.session_id}: {result.status}")
    for node_id, outputs in result.results.items():
        shown = [{k: v for k, v in output.items() if k != "type"} for output in outputs]
        text = json.dumps(shown[0] if len(shown) == 1 else shown)
        if len(text) > 200:
            text = text[:197] + "..."
        click.echo(f"  {node_id}: {text}")
    for error in result.errors:
        click.echo(
            f"  error in node '{error['node_id']}' ({error['node_type']}): "
            f"{error['error_type']}: {error['message']}",
            err=True,
        )
        if verbose and error.get("traceback"):
            click.echo(error["traceback"], err=True)


class _ProgressDisplay:
    """A rich progress bar on a terminal: nodes executed, and the running node's own steps."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._nodes: Any = None
        self._steps: Any = None
        self._count = 0

    def __enter__(self) -> _ProgressDisplay:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._nodes = self._progress.add_task("nodes run", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def node_done(self, node_id: str, exec_id: str) -> None:
        self._count += 1
        if self._progress is not None:
            self._progress.update(
                self._nodes, completed=self._count, description=f"nodes run (last: {exec_id})"
            )

    def progress(self, report: Any) -> None:
        if self._progress is None:
            return
        if self._steps is None:
            self._steps = self._progress.add_task(report.node_id, total=report.total)
        self._progress.update(
            self._steps, completed=report.step, total=report.total, description=report.node_id
        )
