"""``nodeloom sessions``: list, show, resume and delete stored sessions."""

from __future__ import annotations

import datetime
import json
import sys
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
    print_table,
    verbose_option,
)


def _when(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).isoformat(
        timespec="milliseconds"
    )


def session_summary(record: Any) -> dict[str, Any]:
    return {
        "session_id": record.session_id,
        "status": record.status,
        "graph_id": record.graph_id,
        "batch_id": record.batch_id,
        "queue_item_id": record.queue_item_id,
        "created_at": _when(record.created_at),
        "started_at": _when(record.started_at),
        "finished_at": _when(record.finished_at),
    }


@click.group("sessions")
def sessions_command() -> None:
    """Inspect, resume and delete stored sessions."""


@sessions_command.command("list")
@click.option(
    "--status",
    type=click.Choice(["pending", "in_progress", "completed", "failed", "canceled"]),
    help="Only sessions in this state.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=50,
    show_default=True,
    help="How many to show.",
)
@db_option
@json_option
def list_sessions(status: str | None, limit: int, db_url: str | None, as_json: bool) -> None:
    """List sessions, newest first."""
    with open_store_or_fail(db_url) as store:
        records = store.list_sessions(status=status, limit=limit)
    rows = [session_summary(record) for record in records]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no sessions")
        return
    print_table(
        ["SESSION", "STATUS", "CREATED", "BATCH"],
        [
            [row["session_id"], row["status"], row["created_at"], row["batch_id"] or ""]
            for row in rows
        ],
    )


def _load(store: Any, session_id: str) -> Any:
    from nodeloom.storage.base import NotFound

    try:
        return store.get_session(session_id)
    except NotFound:
        fail(f"there is no session '{session_id}' in {store.url}")


@sessions_command.command("show")
@click.argument("session_id")
@db_option
@verbose_option
@json_option
def show_session(session_id: str, db_url: str | None, as_json: bool) -> None:
    """Show a session: its graph, each node execution's status, timing and output."""
    with open_store_or_fail(db_url) as store:
        record = _load(store, session_id)
        results = store.get_results(session_id)
    verbose = is_verbose()
    executions = []
    for row in results:
        error = row.error
        if error and not verbose:
            error = {key: value for key, value in error.items() if key != "traceback"}
        executions.append(
            {
                "exec_id": row.exec_id,
                "node_id": row.source_node_id,
                "node_type": row.node_type,
                "iteration_path": row.iteration_path,
                "status": row.status,
                "started_at": _when(row.started_at),
                "duration_ms": round((row.finished_at - row.started_at) * 1000, 3),
                "output": row.output,
                "error": error,
            }
        )
    data = {
        **session_summary(record),
        "graph": json.loads(record.graph_json),
        "executions": executions,
    }
    if as_json:
        emit_json(data)
        return
    click.echo(f"session {record.session_id}: {record.status}")
    click.echo(
        f"  graph {record.graph_id}: {len(data['graph'].get('nodes', {}))} nodes, "
        f"{len(data['graph'].get('edges', []))} edges"
    )
    for item in executions:
        shown = item["output"] if item["status"] == "completed" else item["error"]
        shown = {k: v for k, v in (shown or {}).items() if k not in ("type", "traceback")}
        text = json.dumps(shown)
        click.echo(
            f"  {item['exec_id']:<20} {item['node_type']:<16} {item['status']:<9} "
            f"{item['duration_ms']:>9.3f} ms  {text[:120]}"
        )


@sessions_command.command("resume")
@click.argument("session_id")
@db_option
@verbose_option
@json_option
def resume(session_id: str, db_url: str | None, as_json: bool) -> None:
    """Finish a session that was interrupted (a crash, a kill): finished nodes are not run again."""
    from nodeloom.execute import resume_session
    from nodeloom.graph.errors import GraphValidationError

    with open_store_or_fail(db_url) as store:
        record = _load(store, session_id)
        if record.status in ("completed", "failed", "canceled"):
            fail(
                f"session '{session_id}' already ended ({record.status}); only unfinished sessions resume"
            )
        try:
            result = resume_session(session_id, store)
        except GraphValidationError as error:
            fail([f"the stored graph no longer validates: {problem}" for problem in error.errors])
    if as_json:
        emit_json(result.as_dict(verbose=is_verbose()))
    else:
        click.echo(f"session {result.session_id}: {result.status}")
    if result.status != "completed":
        sys.exit(EXIT_FAILED)


@sessions_command.command("delete")
@click.argument("session_ids", nargs=-1, required=True)
@db_option
def delete(session_ids: tuple[str, ...], db_url: str | None) -> None:
    """Delete sessions and their node results."""
    with open_store_or_fail(db_url) as store:
        for session_id in session_ids:
            _load(store, session_id)
        for session_id in session_ids:
            store.delete_session(session_id)
    click.echo(f"deleted {len(session_ids)} session(s)")
