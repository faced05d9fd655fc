"""The queue worker: claims items, builds their sessions, runs them and records the outcome.

One item at a time: ``claim_item`` takes the next ``uninitialized`` item of the queue
atomically (priority, then age) and marks it ``in_progress`` with this worker's identity, just
before its session runs. Only then is the session built (batch graph + the item's field values)
and stored, and run with ``SessionRunner`` using the plan cached for its batch. Its end is
recorded on the item — ``completed``, ``failed`` with the node errors, or ``canceled`` — by the
queue's ``after_session`` hook (``nodeloom.queue.notices``), and once more by the worker as a
fallback; terminal states never change, so the first record wins.

Cancel: canceling a waiting item only marks that item. Canceling the running item (from any
process, through the store) is noticed by the worker, which checks the item's state from the
runner's node and progress callbacks (at most every ``cancel_check_interval`` seconds) and
then sets the runner's cancel event: the session stops at the next node boundary or progress
report, and the item stays ``canceled``.

Recovery: when a worker starts it applies the rule of ``nodeloom.queue.recovery``: items left
``in_progress`` by a dead worker process of this host are marked ``failed`` ("worker died"),
never left stuck and never requeued automatically.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nodeloom.context import SessionInfo
from nodeloom.queue.notices import QueueNotices, describe_errors
from nodeloom.queue.recovery import recover_dead_items, worker_identity
from nodeloom.queue.sessions import SessionBuilder, SessionBuildError
from nodeloom.storage.base import (
    CANCELED,
    COMPLETED,
    DEFAULT_QUEUE,
    FAILED,
    IN_PROGRESS,
    NotFound,
    QueueItemRecord,
)

if TYPE_CHECKING:
    from nodeloom.context import Progress
    from nodeloom.plugins import PluginManager
    from nodeloom.storage.base import Store


@dataclass
class ItemOutcome:
    """How one item ended."""

    item_id: int
    batch_id: str
    batch_index: int
    session_id: str | None
    status: str
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class WorkSummary:
    """What a ``Worker.run`` did: counts per final state, the failed and canceled items."""

    processed: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {COMPLETED: 0, FAILED: 0, CANCELED: 0})
    recovered: list[int] = field(default_factory=list)
    problems: list[ItemOutcome] = field(default_factory=list)

    def add(self, outcome: ItemOutcome) -> None:
        self.processed += 1
        self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        if outcome.status != COMPLETED:
            self.problems.append(outcome)

    def as_dict(self) -> dict[str, Any]:
        return {
            "processed": self.processed,
            **self.counts,
            "recovered": self.recovered,
            "problems": [outcome.as_dict() for outcome in self.problems],
        }


class _CancelWatch:
    """Checks, rate-limited, whether the running item was canceled, and stops its session."""

    def __init__(
        self,
        store: Store,
        item_id: int,
        event: threading.Event,
        interval: float,
        on_progress: Callable[[Progress], None] | None,
    ) -> None:
        self.store = store
        self.item_id = item_id
        self.event = event
        self.interval = interval
        self.forward = on_progress
        self.next_check = time.monotonic() + interval

    def check(self) -> None:
        now = time.monotonic()
        if now < self.next_check or self.event.is_set():
            return
        self.next_check = now + self.interval
        try:
            status = self.store.get_item(self.item_id).status
        except NotFound:  # the queue was cleared
            status = CANCELED
        if status != IN_PROGRESS:
            self.event.set()

    def node(self, node_id: str, exec_id: str) -> None:
        self.check()

    def progress(self, report: Progress) -> None:
        self.check()
        if self.forward is not None:
            self.forward(report)


class Worker:
    """Runs the items of one queue of a store, one at a time.

    ``with Worker(store) as worker:`` registers the queue's hooks and applies the recovery
    rule (see the module docstring); ``run_once()`` runs one item, ``run()`` many. ``run`` and
    ``run_once`` enter the worker themselves when needed.
    """

    def __init__(
        self,
        store: Store,
        *,
        plugin_manager: PluginManager | None = None,
        queue: str = DEFAULT_QUEUE,
        cancel_check_interval: float = 0.2,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        from nodeloom.plugins import get_plugin_manager

        self.store = store
        self.plugin_manager = plugin_manager or get_plugin_manager()
        self.queue = queue
        self.cancel_check_interval = cancel_check_interval
        self.on_progress = on_progress
        self.identity = worker_identity()
        self.sessions = SessionBuilder(store, self.plugin_manager)
        self.notices = QueueNotices(store)
        self.recovered: list[int] = []
        self._entered = 0
        self._stop = threading.Event()
        self._running_cancel: threading.Event | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> Worker:
        if self._entered == 0:
            self.plugin_manager.register(self.notices, name=f"nodeloom-queue {self.identity}")
            try:
                self.recovered = recover_dead_items(self.store)
            except BaseException:
                self.plugin_manager.unregister(self.notices)
                raise
        self._entered += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._entered -= 1
        if self._entered == 0:
            self.plugin_manager.unregister(self.notices)

    def stop(self, cancel_running: bool = False) -> None:
        """Stop after the running item (or at once, canceling it, with ``cancel_running``)."""
        self._stop.set()
        running = self._running_cancel
        if cancel_running and running is not None:
            running.set()

    # -- work ------------------------------------------------------------------------------------

    def run(
        self,
        *,
        until_empty: bool = False,
        max_items: int | None = None,
        poll_interval: float = 1.0,
        on_item: Callable[[ItemOutcome], None] | None = None,
    ) -> WorkSummary:
        """Run items until ``stop()``; with ``until_empty`` until none is waiting (or the queue
        is paused), with ``max_items`` at most that many. Otherwise an empty queue is polled
        every ``poll_interval`` seconds."""
        summary = WorkSummary()
        with self:
            summary.recovered = list(self.recovered)
            while not self._stop.is_set():
                if max_items is not None and summary.processed >= max_items:
                    break
                outcome = self.run_once()
                if outcome is None:
                    if until_empty:
                        break
                    self._stop.wait(poll_interval)
                    continue
                summary.add(outcome)
                if on_item is not None:
                    on_item(outcome)
        return summary

    def run_once(self) -> ItemOutcome | None:
        """Claim and run the next item; None when nothing is waiting or the queue is paused."""
        with self:
            session_id = uuid.uuid4().hex
            item = self.store.claim_item(self.queue, worker=self.identity, session_id=session_id)
            if item is None:
                return None
            try:
                built = self.sessions.build(item)
            except (SessionBuildError, NotFound) as error:
                return self._finish(item, None, FAILED, f"cannot build the session: {error}")
            self.store.save_graph(built.graph_id, built.graph_json)
            self.store.create_session(
                session_id, built.graph_id, batch_id=item.batch_id, queue_item_id=item.item_id
            )
            return self._run(item, session_id, built)

    def _run(self, item: QueueItemRecord, session_id: str, built: Any) -> ItemOutcome:
        from nodeloom.runner import SessionRunner

        cancel = threading.Event()
        watch = _CancelWatch(
            self.store, item.item_id, cancel, self.cancel_check_interval, self.on_progress
        )
        runner = SessionRunner(
            built.graph,
            self.store,
            SessionInfo(
                session_id, built.graph_id, batch_id=item.batch_id, queue_item_id=item.item_id
            ),
            plugin_manager=self.plugin_manager,
            plan=built.plan,
            cancel_event=cancel,
            on_progress=watch.progress,
            on_node=watch.node,
            graph_json=built.graph_json,
        )
        self.notices.running[session_id] = runner.errors
        self._running_cancel = cancel
        error: str | None = None
        try:
            status = runner.run()
        except Exception as failure:  # the engine itself broke (a store error, ...)
            status, error = FAILED, f"{type(failure).__name__}: {failure}"
        finally:
            self._running_cancel = None
            del self.notices.running[session_id]
        if status == FAILED and error is None:
            error = describe_errors(runner.errors)
        recorded = self.notices.recorded.pop(session_id, None)
        return self._finish(item, session_id, status, error, recorded)

    def _finish(
        self,
        item: QueueItemRecord,
        session_id: str | None,
        status: str,
        error: str | None,
        recorded: bool | None = None,
    ) -> ItemOutcome:
        """Record the outcome (a no-op when the notice did); report the item's final state."""
        changed = recorded
        if not changed:
            try:
                changed = self.store.finish_item(item.item_id, status, error)
            except NotFound:
                changed = False
        if not changed:  # it had ended already: canceled (or cleared) while it ran
            try:
                stored = self.store.get_item(item.item_id)
                status, error = stored.status, stored.error
            except NotFound:
                status, error = CANCELED, "the item was removed from the queue while it ran"
        return ItemOutcome(item.item_id, item.batch_id, item.batch_index, session_id, status, error)
