"""The store protocol every backend implements, the records it returns, and its errors."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nodeloom.storage.artifacts import ArtifactStore

if TYPE_CHECKING:
    from nodeloom.batch import Batch
    from nodeloom.plugins import PluginManager

#: Session and result states. Terminal ones never change again.
PENDING = "pending"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
FAILED = "failed"
CANCELED = "canceled"
TERMINAL_STATES = frozenset({COMPLETED, FAILED, CANCELED})

#: Queue item states: ``uninitialized`` (waiting; its session is not built yet), then
#: ``in_progress`` once a worker claims it, then one of the terminal states above.
UNINITIALIZED = "uninitialized"
QUEUE_STATES = (UNINITIALIZED, IN_PROGRESS, COMPLETED, FAILED, CANCELED)
#: States of items that still count against the maximum queue size.
UNFINISHED_STATES = frozenset({UNINITIALIZED, IN_PROGRESS})
DEFAULT_QUEUE = "default"
#: The default cap on unfinished items per queue; ``$NODELOOM_MAX_QUEUE_SIZE`` overrides it.
DEFAULT_MAX_QUEUE_SIZE = 10_000
MAX_QUEUE_SIZE_ENV = "NODELOOM_MAX_QUEUE_SIZE"


class StoreError(Exception):
    """A store could not be opened or used; the message says which URL and why."""


class NotFound(StoreError, LookupError):
    """A session, graph or other record does not exist."""


class DuplicateResult(StoreError):
    """A result for this (session id, exec id) is already stored; nothing was written."""


@dataclass
class SessionRecord:
    """A stored session: its graph (JSON text), state and timestamps (epoch seconds)."""

    session_id: str
    graph_id: str
    graph_json: str
    status: str
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    batch_id: str | None = None
    queue_item_id: int | None = None


@dataclass
class ResultRecord:
    """The result of one executed node: one row per execution, written as soon as it ends.

    ``exec_id`` is deterministic for a graph (the planner derives it from the source node id and
    the iteration path), so a restarted session finds what already ran.
    """

    session_id: str
    exec_id: str
    source_node_id: str
    node_type: str
    iteration_path: list[int]
    status: str  # completed | failed
    output: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    started_at: float = 0.0
    finished_at: float = 0.0
    seq: int = 0  # execution order within the session, assigned by the store


@dataclass
class StoreInfo:
    """What ``nodeloom db info`` prints."""

    url: str
    backend: str
    schema_version: int
    latest_schema_version: int
    counts: dict[str, int] = field(default_factory=dict)
    artifacts_root: str | None = None


@dataclass(frozen=True)
class NewBatch:
    """A validated batch as a store keeps it: graph and data serialised once, and its size."""

    batch_id: str
    graph_json: str
    data_json: str  # the ``data`` groups as JSON
    runs: int
    count: int  # sessions requested: runs × Π len(group)


@dataclass(frozen=True)
class EnqueueResult:
    """What ``enqueue_batch`` did: ``enqueued`` < ``requested`` when the queue size capped it."""

    batch_id: str
    enqueued: int
    requested: int
    priority: int
    queue: str


@dataclass
class BatchRecord:
    """A stored batch; its items are ids ``first_item_id`` .. ``first_item_id + enqueued - 1``."""

    batch_id: str
    queue: str
    graph_json: str
    data_json: str
    runs: int
    requested: int
    enqueued: int
    priority: int
    first_item_id: int
    created_at: float


@dataclass
class QueueItemRecord:
    """One queued session: the position of its field values in its batch's product, and its state."""

    item_id: int
    batch_id: str
    batch_index: int
    queue: str
    status: str
    priority: int
    session_id: str | None = None
    worker: str | None = None
    error: str | None = None
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None


@dataclass
class QueueStatus:
    """Item counts per state, overall, per queue and per batch, and the paused queues."""

    counts: dict[str, int] = field(default_factory=dict)
    queues: dict[str, dict[str, int]] = field(default_factory=dict)
    batches: dict[str, dict[str, int]] = field(default_factory=dict)
    paused: list[str] = field(default_factory=list)


def max_queue_size_setting(explicit: int | None = None) -> int:
    """The cap in force: ``explicit``, else ``$NODELOOM_MAX_QUEUE_SIZE``, else 10,000."""
    import os

    if explicit is not None:
        if explicit < 0:
            raise ValueError(f"max_queue_size must be 0 or more, got {explicit}")
        return explicit
    configured = os.environ.get(MAX_QUEUE_SIZE_ENV, "").strip()
    if not configured:
        return DEFAULT_MAX_QUEUE_SIZE
    try:
        value = int(configured)
    except ValueError:
        value = -1
    if value < 0:
        raise StoreError(f"${MAX_QUEUE_SIZE_ENV}={configured!r} is not a whole number of 0 or more")
    return value


def cap_enqueued(requested: int, unfinished: int, max_queue_size: int) -> int:
    """How many of ``requested`` items fit when ``unfinished`` items already wait or run."""
    return max(0, min(requested, max_queue_size - unfinished))


class Store(abc.ABC):
    """A place where graphs, sessions, node results (and, later, batches and queue items) live.

    Backends are registered by URL scheme through the ``register_storage_backends`` hook.
    Every method is safe to call from several threads; the SQLite backend is also safe across
    processes. Writes are atomic: a method that raises has written nothing.
    """

    url: str
    artifacts: ArtifactStore

    # -- lifecycle -------------------------------------------------------------------------------

    @abc.abstractmethod
    def info(self) -> StoreInfo: ...

    @abc.abstractmethod
    def migrate(self) -> int:
        """Bring the schema to the latest version; return the version now in force."""

    def close(self) -> None:  # noqa: B027 - optional for backends without resources
        """Release connections; the store is unusable afterwards."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- graphs ----------------------------------------------------------------------------------

    @abc.abstractmethod
    def save_graph(self, graph_id: str, graph_json: str) -> None:
        """Store a graph once under its id (saving the same id again is a no-op)."""

    @abc.abstractmethod
    def get_graph(self, graph_id: str) -> str:
        """The graph's JSON text; raises NotFound."""

    # -- sessions --------------------------------------------------------------------------------

    @abc.abstractmethod
    def create_session(
        self,
        session_id: str,
        graph_id: str,
        *,
        batch_id: str | None = None,
        queue_item_id: int | None = None,
    ) -> SessionRecord:
        """Create a session in state ``pending`` for a graph saved with ``save_graph``."""

    @abc.abstractmethod
    def get_session(self, session_id: str) -> SessionRecord:
        """Raises NotFound."""

    @abc.abstractmethod
    def set_session_status(self, session_id: str, status: str) -> bool:
        """Move a session to ``status``; sets started_at/finished_at.

        A session already in a terminal state keeps it (returns False): an error followed by a
        completion notice stays ``failed``.
        """

    @abc.abstractmethod
    def list_sessions(
        self, *, status: str | None = None, limit: int = 50, before: float | None = None
    ) -> list[SessionRecord]:
        """Newest first; ``before`` (a created_at) pages backwards."""

    @abc.abstractmethod
    def delete_session(self, session_id: str) -> None:
        """Delete a session and its results; raises NotFound."""

    # -- batches and the queue ---------------------------------------------------------------------

    def enqueue_batch(
        self,
        batch: Batch | dict[str, Any],
        priority: int = 0,
        prepend: bool = False,
        queue: str = DEFAULT_QUEUE,
        max_queue_size: int | None = None,
        *,
        plugin_manager: PluginManager | None = None,
    ) -> EnqueueResult:
        """Validate a batch (a dict or ``nodeloom.Batch``) and queue one item per session.

        The graph and data are stored once; each session is one small ``uninitialized`` row
        holding its position in the batch's product, and its session is built only when a
        worker runs it. Items are claimed by priority (highest first), then age; ``prepend``
        puts the batch ahead of everything pending (its priority becomes at least the highest
        pending one, and it goes first among equals). At most ``max_queue_size`` unfinished
        items may be in ``queue`` (default ``$NODELOOM_MAX_QUEUE_SIZE`` or 10,000): the batch is
        truncated to fit, keeping its first sessions, and the result reports requested vs
        enqueued. Raises ``nodeloom.batch.BatchValidationError`` listing every problem.
        """
        from nodeloom.batch import parse_batch

        new = parse_batch(batch).prepare(plugin_manager)
        if not queue:
            raise ValueError("the queue name must not be empty")
        return self.add_batch(
            new,
            priority=int(priority),
            prepend=prepend,
            queue=queue,
            max_queue_size=max_queue_size_setting(max_queue_size),
        )

    @abc.abstractmethod
    def add_batch(
        self, batch: NewBatch, *, priority: int, prepend: bool, queue: str, max_queue_size: int
    ) -> EnqueueResult:
        """Store a validated batch and its items in one transaction (``enqueue_batch`` does the rest).

        Items get consecutive integer ids that are never reused. Nothing is stored when no item
        fits (``enqueued`` is 0).
        """

    @abc.abstractmethod
    def get_batch(self, batch_id: str) -> BatchRecord:
        """Raises NotFound."""

    @abc.abstractmethod
    def claim_item(
        self, queue: str = DEFAULT_QUEUE, *, worker: str, session_id: str | None = None
    ) -> QueueItemRecord | None:
        """Atomically take the next ``uninitialized`` item of ``queue`` (priority, then age).

        The item becomes ``in_progress`` with ``worker`` and ``session_id`` recorded; two
        callers (threads or processes) never get the same item. None when nothing is waiting
        or the queue is paused.
        """

    @abc.abstractmethod
    def get_item(self, item_id: int) -> QueueItemRecord:
        """Raises NotFound."""

    @abc.abstractmethod
    def list_items(
        self,
        *,
        queue: str | None = None,
        status: str | None = None,
        batch_id: str | None = None,
        after: int | None = None,
        limit: int = 50,
    ) -> list[QueueItemRecord]:
        """Items in id order; ``after`` (the last id of a page) gives the next page."""

    @abc.abstractmethod
    def queue_status(self) -> QueueStatus:
        """Counts per state, per queue and per batch."""

    @abc.abstractmethod
    def finish_item(self, item_id: int, status: str, error: str | None = None) -> bool:
        """Move an unfinished item to a terminal ``status``; False if it already ended.

        Terminal states never change: an error followed by a completion notice stays
        ``failed``. Raises NotFound for an unknown item.
        """

    @abc.abstractmethod
    def cancel_item(self, item_id: int) -> bool:
        """Cancel one unfinished item (False if it already ended); raises NotFound.

        A waiting item is simply never run. A running one is marked ``canceled`` here and its
        worker stops the session at the next node boundary or progress report.
        """

    @abc.abstractmethod
    def cancel_batch(self, batch_id: str) -> int:
        """Cancel every unfinished item of a batch; returns how many."""

    @abc.abstractmethod
    def cancel_all(self, queue: str | None = None) -> int:
        """Cancel every unfinished item of ``queue`` (all queues with None); returns how many."""

    @abc.abstractmethod
    def retry_items(
        self,
        item_ids: list[int] | None = None,
        *,
        batch_id: str | None = None,
        queue: str | None = None,
    ) -> int:
        """Put ``failed`` and ``canceled`` items back to ``uninitialized``; returns how many.

        Selects the given ids, else the items of ``batch_id``, else every item of ``queue`` (all
        queues with None). A retried item keeps its priority and place and gets a new session.
        """

    @abc.abstractmethod
    def prune_items(self, queue: str | None = None) -> int:
        """Delete finished items (and batches left without items); returns how many items."""

    @abc.abstractmethod
    def clear_queue(self, queue: str | None = None) -> int:
        """Delete every item and batch of ``queue`` (all with None); a running session is canceled."""

    @abc.abstractmethod
    def set_queue_paused(self, queue: str, paused: bool) -> None:
        """Pause (no item is claimed; running ones finish) or resume a queue; persisted."""

    @abc.abstractmethod
    def paused_queues(self) -> list[str]:
        """Names of the paused queues, sorted."""

    # -- node results ----------------------------------------------------------------------------

    @abc.abstractmethod
    def add_result(self, result: ResultRecord) -> None:
        """Persist one node's result right away (one small write, never a rewrite of the session)."""

    def result_writer(self) -> ResultWriter:
        """A writer the runner feeds one session's results through.

        The default writes each result with ``add_result`` as it comes. A backend may write in
        the background and commit several rows at once; ``flush()`` then returns only when
        everything added so far is durable, and ``close()`` flushes.
        """
        return DirectResultWriter(self)

    @abc.abstractmethod
    def get_results(self, session_id: str) -> list[ResultRecord]:
        """Results in execution order."""


class ResultWriter(abc.ABC):
    """Feeds node results to a store; see ``Store.result_writer``."""

    @abc.abstractmethod
    def add(self, result: ResultRecord) -> None: ...

    def flush(self) -> None:  # noqa: B027 - nothing is buffered by default
        """Return once every result added so far is durable; raise the first write error."""

    def close(self) -> None:
        self.flush()


class DirectResultWriter(ResultWriter):
    """Writes each result immediately with ``Store.add_result``."""

    def __init__(self, store: Store) -> None:
        self.add = store.add_result  # type: ignore[method-assign]

    def add(self, result: ResultRecord) -> None:  # replaced per instance in __init__
        raise NotImplementedError
