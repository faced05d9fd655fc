"""``nodeloom queue``: enqueue batches, run workers, and inspect and manage the session queue."""

from __future__ import annotations

import signal
import sys
import threading
import time
from typing import Any

import click

from nodeloom.cli.common import (
    EXIT_FAILED,
    db_option,
    emit_json,
    fail,
    json_option,
    open_store_or_fail,
    print_table,
)

STATES = ("uninitialized", "in_progress", "completed", "failed", "canceled")


def queue_option(default: str | None) -> Any:
    help_text = "The queue to use." if default else "Only this queue (default: every queue)."
    return click.option(
        "--queue",
        "queue_name",
        default=default,
        show_default=bool(default),
        metavar="NAME",
        help=help_text,
    )


@click.group("queue")
def queue_command() -> None:
    """Queue batches of sessions and run them with workers.

    A batch is one graph and the field values of many sessions (InvokeAI's format):
    {"graph": ..., "data": [[{"node_path", "field_name", "items": [...]}, ...], ...], "runs": 1}.
    Datums in one inner list are zipped; inner lists combine as a product (last varies
    fastest); the whole repeats RUNS times. Each session is queued as an item that waits as
    'uninitialized'; a worker builds and runs its session only when it takes the item
    ('in_progress'), and records 'completed', 'failed' or 'canceled'.
    """


def _store(db_url: str | None) -> Any:
    return open_store_or_fail(db_url)


# -- enqueue -------------------------------------------------------------------------------------


@queue_command.command("enqueue")
@click.argument("graph_file", required=False, type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--batch",
    "batch_file",
    type=click.Path(dir_okay=False, path_type=str),
    metavar="BATCH.json",
    help="The batch: {'data', 'runs'} for GRAPH_FILE, or a whole batch with its 'graph'.",
)
@click.option("--runs", type=click.IntRange(min=1), help="Repeat the product this many times.")
@click.option("--priority", type=int, default=0, show_default=True, help="Higher runs first.")
@click.option("--prepend", is_flag=True, help="Put the batch ahead of everything pending.")
@queue_option("default")
@click.option(
    "--max-queue-size",
    type=click.IntRange(min=0),
    help="Cap on unfinished items in the queue (default $NODELOOM_MAX_QUEUE_SIZE or 10000).",
)
@db_option
@json_option
def enqueue(
    graph_file: str | None,
    batch_file: str | None,
    runs: int | None,
    priority: int,
    prepend: bool,
    queue_name: str,
    max_queue_size: int | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Validate a batch and queue one item per session.

    Either GRAPH_FILE holds the graph and --batch BATCH.json holds only "data" (and "runs"),
    or BATCH.json is a whole batch with its "graph" and GRAPH_FILE is left out. Without
    --batch, GRAPH_FILE is queued --runs times with its own values. Every problem of the batch
    is printed and nothing is queued (exit 2). When the queue is nearly full the batch is cut to
    fit, keeping its first sessions; the output says how many were requested and queued.

    With --json, prints {"batch_id", "enqueued", "requested", "priority", "queue"}.
    """
    from nodeloom.batch import BatchValidationError, parse_batch
    from nodeloom.graph.errors import GraphValidationError
    from nodeloom.graph.load import read_json_file
    from nodeloom.storage.base import StoreError

    if graph_file is None and batch_file is None:
        fail("give a graph file, a --batch file, or both (see 'nodeloom queue enqueue --help')")
    try:
        data: Any = read_json_file(batch_file, "batch file") if batch_file else {}
        if not isinstance(data, dict):
            fail(f"{batch_file}: a batch must be a JSON object, got {type(data).__name__}")
        if graph_file is not None:
            if "graph" in data:
                fail(
                    f"{batch_file} already has a 'graph'; leave out GRAPH_FILE "
                    "or remove 'graph' from the batch"
                )
            data = {**data, "graph": read_json_file(graph_file, "graph file")}
        elif "graph" not in data:
            fail(f"{batch_file} has no 'graph'; give the graph file before --batch")
        if runs is not None:
            data["runs"] = runs
        batch = parse_batch(data, origin=batch_file or graph_file or "batch")
    except (GraphValidationError, BatchValidationError) as error:
        fail([str(problem) for problem in error.errors])

    with _store(db_url) as store:
        try:
            result = store.enqueue_batch(
                batch,
                priority=priority,
                prepend=prepend,
                queue=queue_name,
                max_queue_size=max_queue_size,
            )
        except BatchValidationError as error:
            fail([str(problem) for problem in error.errors])
        except StoreError as error:
            fail(str(error))
    if as_json:
        emit_json(result.__dict__)
    else:
        click.echo(
            f"enqueued {result.enqueued} of {result.requested} session(s) as batch "
            f"{result.batch_id} (queue '{result.queue}', priority {result.priority})"
        )
    if result.enqueued < result.requested:
        click.echo(
            f"note: the queue is full: {result.requested - result.enqueued} session(s) were not "
            "queued (raise --max-queue-size or $NODELOOM_MAX_QUEUE_SIZE, or prune the queue)",
            err=True,
        )


# -- work ----------------------------------------------------------------------------------------


@queue_command.command("work")
@click.option("--once", is_flag=True, help="Run the next item (if any) and exit.")
@click.option("--until-empty", is_flag=True, help="Exit once no item is waiting.")
@queue_option("default")
@click.option(
    "--poll",
    "poll_interval",
    type=click.FloatRange(min=0.01),
    default=1.0,
    show_default=True,
    help="Seconds between looks at an empty queue (without --once/--until-empty).",
)
@db_option
@json_option
def work(
    once: bool,
    until_empty: bool,
    queue_name: str,
    poll_interval: float,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Run queued sessions, one at a time, until stopped (Ctrl-C).

    Items are taken by priority, then age; several workers may share one database and never
    run the same item. A paused queue gives out nothing (with --until-empty the worker exits).
    Ctrl-C cancels the running session (its item ends 'canceled'; 'retry' brings it back).

    Recovery: when a worker starts, items left 'in_progress' by a worker process of this host
    that no longer exists are marked 'failed' with "worker died"; they are not requeued by
    themselves (an item that crashes its worker would crash every worker). Use 'retry'.

    Exit 1 when an item failed, else 0. With --json, prints {"processed", "completed",
    "failed", "canceled", "recovered", "problems"}.
    """
    from nodeloom.queue import Worker

    if once and until_empty:
        fail("--once and --until-empty cannot be combined")
    with _store(db_url) as store:
        display = _WorkProgress(store, queue_name, enabled=not as_json and sys.stderr.isatty())
        worker = Worker(store, queue=queue_name)
        main = threading.current_thread() is threading.main_thread()
        previous = (
            signal.signal(signal.SIGINT, lambda *_: worker.stop(cancel_running=True))
            if main
            else None
        )
        try:
            with display:
                summary = worker.run(
                    until_empty=once or until_empty,
                    max_items=1 if once else None,
                    poll_interval=poll_interval,
                    on_item=display.item_done,
                )
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
    if as_json:
        emit_json(summary.as_dict())
    else:
        for item_id in summary.recovered:
            click.echo(f"recovered item {item_id}: its worker died; marked failed", err=True)
        click.echo(
            f"processed {summary.processed} item(s): {summary.counts['completed']} completed, "
            f"{summary.counts['failed']} failed, {summary.counts['canceled']} canceled"
        )
        for outcome in summary.problems[:20]:
            detail = f": {outcome.error}" if outcome.error else ""
            click.echo(f"  item {outcome.item_id}: {outcome.status}{detail}", err=True)
    if summary.counts["failed"]:
        sys.exit(EXIT_FAILED)


class _WorkProgress:
    """A progress bar on a terminal: items done / items done + waiting."""

    def __init__(self, store: Any, queue: str, enabled: bool) -> None:
        self.store = store
        self.queue = queue
        self.enabled = enabled
        self.done = 0
        self._progress: Any = None
        self._task: Any = None
        self._refreshed = 0.0

    def _waiting(self) -> int:
        return self.store.queue_status().queues.get(self.queue, {}).get("uninitialized", 0)

    def __enter__(self) -> _WorkProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} items"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(f"queue '{self.queue}'", total=self._waiting())
            self._refreshed = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def item_done(self, outcome: Any) -> None:
        self.done += 1
        if self._progress is None:
            return
        update: dict[str, Any] = {"completed": self.done}
        now = time.monotonic()
        if now - self._refreshed > 0.5:  # others may enqueue or work meanwhile
            update["total"] = self.done + self._waiting()
            self._refreshed = now
        self._progress.update(self._task, **update)


# -- reading -------------------------------------------------------------------------------------


@queue_command.command("status")
@db_option
@json_option
def status(db_url: str | None, as_json: bool) -> None:
    """Item counts per state, per queue and per batch, and which queues are paused.

    With --json, prints {"counts": {state: n}, "queues": {name: {state: n, "paused"}},
    "batches": {batch_id: {state: n}}, "paused": [names]}.
    """
    with _store(db_url) as store:
        found = store.queue_status()
    queues = {
        name: {**counts, "paused": name in found.paused} for name, counts in found.queues.items()
    }
    if as_json:
        emit_json(
            {
                "counts": found.counts,
                "queues": queues,
                "batches": found.batches,
                "paused": found.paused,
            }
        )
        return
    click.echo("total: " + ", ".join(f"{found.counts.get(s, 0)} {s}" for s in STATES))
    for name, counts in sorted(queues.items()):
        paused = " (paused)" if counts["paused"] else ""
        click.echo(f"queue '{name}'{paused}: " + ", ".join(f"{counts[s]} {s}" for s in STATES))
    if found.batches:
        click.echo("")
        print_table(
            ["batch", *STATES],
            [[batch, *(counts[s] for s in STATES)] for batch, counts in found.batches.items()],
        )


def item_summary(item: Any, values: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    from nodeloom.cli.sessions import _when

    data = {
        "item_id": item.item_id,
        "batch_id": item.batch_id,
        "batch_index": item.batch_index,
        "queue": item.queue,
        "status": item.status,
        "priority": item.priority,
        "session_id": item.session_id,
        "worker": item.worker,
        "error": item.error,
        "created_at": _when(item.created_at),
        "started_at": _when(item.started_at),
        "finished_at": _when(item.finished_at),
    }
    if values is not None:
        data["field_values"] = values
    return data


@queue_command.command("list")
@queue_option(None)
@click.option("--status", "state", type=click.Choice(STATES), help="Only items in this state.")
@click.option("--batch", "batch_id", metavar="ID", help="Only the items of this batch.")
@click.option("--after", type=int, metavar="ID", help="Start after this item id (the last seen).")
@click.option(
    "--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, help="Page size."
)
@db_option
@json_option
def list_items(
    queue_name: str | None,
    state: str | None,
    batch_id: str | None,
    after: int | None,
    limit: int,
    db_url: str | None,
    as_json: bool,
) -> None:
    """List queue items in id order, a page at a time.

    Pass the last id shown as --after to get the next page. With --json, prints
    {"items": [{"item_id", "batch_id", "batch_index", "status", "field_values", ...}],
    "next_after": the id to pass as --after, or null on the last page}.
    """
    from nodeloom.batch import describe_field_values, field_values_at, load_data
    from nodeloom.storage.base import NotFound

    with _store(db_url) as store:
        try:
            items = store.list_items(
                queue=queue_name, status=state, batch_id=batch_id, after=after, limit=limit
            )
        except NotFound as error:
            fail(str(error))
        data_by_batch: dict[str, Any] = {}
        rows = []
        for item in items:
            if item.batch_id not in data_by_batch:
                data_by_batch[item.batch_id] = load_data(store.get_batch(item.batch_id).data_json)
            data = data_by_batch[item.batch_id]
            values = describe_field_values(field_values_at(data, item.batch_index)) if data else []
            rows.append(item_summary(item, values))
    next_after = items[-1].item_id if len(items) == limit else None
    if as_json:
        emit_json({"items": rows, "next_after": next_after})
        return
    if not rows:
        click.echo("no items")
        return
    print_table(
        ["id", "batch", "index", "status", "priority", "values", "error"],
        [
            [
                row["item_id"],
                row["batch_id"],
                row["batch_index"],
                row["status"],
                row["priority"],
                ", ".join(
                    f"{v['node_path']}.{v['field_name']}={v['value']!r}"
                    for v in row["field_values"]
                )[:60],
                (row["error"] or "")[:60],
            ]
            for row in rows
        ],
    )
    if next_after is not None:
        click.echo(f"more: --after {next_after}", err=True)


# -- admin ---------------------------------------------------------------------------------------


def _selection(item_ids: tuple[int, ...], batch_id: str | None, every: bool, verb: str) -> None:
    chosen = sum([bool(item_ids), batch_id is not None, every])
    if chosen != 1:
        fail(f"say what to {verb}: ITEM ids, --batch ID or --all (exactly one of them)")


@queue_command.command("cancel")
@click.argument("item_ids", nargs=-1, type=int)
@click.option("--batch", "batch_id", metavar="ID", help="Cancel every unfinished item of a batch.")
@click.option("--all", "every", is_flag=True, help="Cancel every unfinished item.")
@queue_option(None)
@db_option
@json_option
def cancel(
    item_ids: tuple[int, ...],
    batch_id: str | None,
    every: bool,
    queue_name: str | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Cancel items: ITEM ids, a whole --batch, or --all (of --queue, else every queue).

    A waiting item is simply never run; canceling it never touches the running one. A running
    item stops at its next node boundary or progress report. Finished items are left as they
    are. With --json, prints {"canceled": n}.
    """
    from nodeloom.storage.base import NotFound

    _selection(item_ids, batch_id, every, "cancel")
    with _store(db_url) as store:
        try:
            if item_ids:
                for item_id in item_ids:
                    store.get_item(item_id)
                canceled = sum(store.cancel_item(item_id) for item_id in item_ids)
            elif batch_id is not None:
                canceled = store.cancel_batch(batch_id)
            else:
                canceled = store.cancel_all(queue_name)
        except NotFound as error:
            fail(str(error))
    _report(as_json, "canceled", canceled)


@queue_command.command("retry")
@click.argument("item_ids", nargs=-1, type=int)
@click.option("--batch", "batch_id", metavar="ID", help="Retry the failed/canceled of a batch.")
@click.option("--all", "every", is_flag=True, help="Retry every failed or canceled item.")
@queue_option(None)
@db_option
@json_option
def retry(
    item_ids: tuple[int, ...],
    batch_id: str | None,
    every: bool,
    queue_name: str | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Put failed or canceled items back in the queue ('uninitialized', in their old place).

    Each gets a new session when a worker takes it. With --json, prints {"retried": n}.
    """
    from nodeloom.storage.base import NotFound

    _selection(item_ids, batch_id, every, "retry")
    with _store(db_url) as store:
        try:
            retried = store.retry_items(
                list(item_ids) if item_ids else None, batch_id=batch_id, queue=queue_name
            )
        except NotFound as error:
            fail(str(error))
    _report(as_json, "retried", retried)


@queue_command.command("prune")
@queue_option(None)
@db_option
@json_option
def prune(queue_name: str | None, db_url: str | None, as_json: bool) -> None:
    """Delete finished items (completed, failed, canceled); their sessions stay.

    With --json, prints {"pruned": n}.
    """
    with _store(db_url) as store:
        pruned = store.prune_items(queue_name)
    _report(as_json, "pruned", pruned)


@queue_command.command("clear")
@queue_option(None)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@db_option
@json_option
def clear(queue_name: str | None, yes: bool, db_url: str | None, as_json: bool) -> None:
    """Delete every item and batch (of --queue, else of every queue).

    A running session is canceled at its next node boundary. Sessions already run stay.
    With --json, prints {"cleared": n}.
    """
    if not yes:
        where = f"queue '{queue_name}'" if queue_name else "every queue"
        if not sys.stdin.isatty():
            fail(f"'clear' deletes every item of {where}; pass --yes to confirm")
        click.confirm(f"Delete every item of {where}?", abort=True, err=True)
    with _store(db_url) as store:
        cleared = store.clear_queue(queue_name)
    _report(as_json, "cleared", cleared)


@queue_command.command("pause")
@queue_option("default")
@db_option
@json_option
def pause(queue_name: str, db_url: str | None, as_json: bool) -> None:
    """Stop giving out items of a queue (running ones finish); kept until 'resume'.

    With --json, prints {"queue", "paused": true}.
    """
    _set_paused(queue_name, True, db_url, as_json)


@queue_command.command("resume")
@queue_option("default")
@db_option
@json_option
def resume(queue_name: str, db_url: str | None, as_json: bool) -> None:
    """Give out items of a paused queue again. With --json, prints {"queue", "paused": false}."""
    _set_paused(queue_name, False, db_url, as_json)


def _set_paused(queue_name: str, paused: bool, db_url: str | None, as_json: bool) -> None:
    with _store(db_url) as store:
        store.set_queue_paused(queue_name, paused)
    if as_json:
        emit_json({"queue": queue_name, "paused": paused})
    else:
        click.echo(f"queue '{queue_name}' {'paused' if paused else 'resumed'}")


def _report(as_json: bool, verb: str, count: int) -> None:
    if as_json:
        emit_json({verb: count})
    else:
        click.echo(f"{verb} {count} item(s)")
