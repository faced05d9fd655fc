"""The store protocol every backend implements, the records it returns, and its errors."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

from nodeloom.storage.artifacts import ArtifactStore

#: Session and result states. Terminal ones never change again.
PENDING = "pending"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
FAILED = "failed"
CANCELED = "canceled"
TERMINAL_STATES = frozenset({COMPLETED, FAILED, CANCELED})


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
