"""The in-memory store (``memory://``): plain dicts behind a lock, artifacts in a temporary folder.

Each ``open_store("memory://")`` gives a new, empty store that lives as long as the object; its
artifact folder is deleted by ``close()`` (or when the store is garbage-collected). Values are
kept as JSON text, exactly as the SQL stores keep them, so both backends return the same
records. Safe across threads of one process; nothing is shared between processes.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from nodeloom.hooks import hookimpl
from nodeloom.storage.artifacts import ArtifactStore
from nodeloom.storage.base import (
    IN_PROGRESS,
    PENDING,
    TERMINAL_STATES,
    DuplicateResult,
    NotFound,
    ResultRecord,
    SessionRecord,
    Store,
    StoreError,
    StoreInfo,
)
from nodeloom.storage.memory_queue import MemoryQueueMixin

#: The memory store has no schema to migrate; it always reports this version.
SCHEMA_VERSION = 1
KNOWN_STATES = frozenset({PENDING, IN_PROGRESS, *TERMINAL_STATES})


@dataclass(frozen=True)
class _StoredResult:
    """A result as the store keeps it: JSON fields as text."""

    record: ResultRecord
    iteration_path: str
    output: str | None
    error: str | None


def _bare(
    record: ResultRecord,
    iteration_path: list[int] | None = None,
    output: dict | None = None,
    error: dict | None = None,
) -> ResultRecord:
    """A copy of ``record`` with its JSON fields swapped (cheaper than ``dataclasses.replace``)."""
    return ResultRecord(
        record.session_id,
        record.exec_id,
        record.source_node_id,
        record.node_type,
        iteration_path if iteration_path is not None else [],
        record.status,
        output,
        error,
        record.started_at,
        record.finished_at,
        record.seq,
    )


class MemoryStore(MemoryQueueMixin, Store):
    """A throw-away store for tests and one-off runs."""

    def __init__(self, url: str = "memory://") -> None:
        if not url.lower().startswith("memory:"):
            raise StoreError(f"'{url}' is not a memory URL (expected memory://)")
        self.url = url
        self._lock = threading.RLock()
        self._graphs: dict[str, str] = {}
        self._sessions: dict[str, SessionRecord] = {}
        self._results: dict[str, list[_StoredResult]] = {}
        self._exec_ids: dict[str, set[str]] = {}
        self._last_created_at = 0.0
        self._closed = False
        root = tempfile.mkdtemp(prefix="nodeloom-memory-")
        self.artifacts = ArtifactStore(root)
        self._cleanup = weakref.finalize(self, shutil.rmtree, root, ignore_errors=True)

    def __repr__(self) -> str:
        return f"MemoryStore({self.url!r})"

    # -- lifecycle -------------------------------------------------------------------------------

    def info(self) -> StoreInfo:
        with self._lock:
            counts = {
                "graphs": len(self._graphs),
                "sessions": len(self._sessions),
                "node_results": sum(len(rows) for rows in self._results.values()),
            }
        counts.update(self._queue_counts())
        counts.update(self.artifacts.counts())
        return StoreInfo(
            url=self.url,
            backend="memory",
            schema_version=SCHEMA_VERSION,
            latest_schema_version=SCHEMA_VERSION,
            counts=counts,
            artifacts_root=str(self.artifacts.root),
        )

    def migrate(self) -> int:
        return SCHEMA_VERSION

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._cleanup()

    # -- graphs ----------------------------------------------------------------------------------

    def save_graph(self, graph_id: str, graph_json: str) -> None:
        with self._lock:
            self._graphs.setdefault(graph_id, graph_json)

    def get_graph(self, graph_id: str) -> str:
        with self._lock:
            try:
                return self._graphs[graph_id]
            except KeyError:
                raise NotFound(f"graph '{graph_id}' does not exist in {self.url}") from None

    # -- sessions --------------------------------------------------------------------------------

    def create_session(
        self,
        session_id: str,
        graph_id: str,
        *,
        batch_id: str | None = None,
        queue_item_id: int | None = None,
    ) -> SessionRecord:
        with self._lock:
            if graph_id not in self._graphs:
                raise NotFound(
                    f"cannot create session '{session_id}': graph '{graph_id}' does not exist "
                    f"in {self.url} (save it with save_graph first)"
                )
            if session_id in self._sessions:
                raise StoreError(f"session '{session_id}' already exists in {self.url}")
            now = time.time()
            if now <= self._last_created_at:
                now = self._last_created_at + 1e-6
            self._last_created_at = now
            record = SessionRecord(
                session_id=session_id,
                graph_id=graph_id,
                graph_json=self._graphs[graph_id],
                status=PENDING,
                created_at=now,
                batch_id=batch_id,
                queue_item_id=queue_item_id,
            )
            self._sessions[session_id] = record
            self._results[session_id] = []
            self._exec_ids[session_id] = set()
            return replace(record)

    def get_session(self, session_id: str) -> SessionRecord:
        with self._lock:
            return replace(self._session(session_id))

    def set_session_status(self, session_id: str, status: str) -> bool:
        if status not in KNOWN_STATES:
            raise ValueError(f"unknown session status '{status}' (one of {sorted(KNOWN_STATES)})")
        with self._lock:
            record = self._session(session_id)
            if record.status in TERMINAL_STATES:
                return False
            now = time.time()
            record.status = status
            if status == IN_PROGRESS and record.started_at is None:
                record.started_at = now
            if status in TERMINAL_STATES:
                record.finished_at = now
            return True

    def list_sessions(
        self, *, status: str | None = None, limit: int = 50, before: float | None = None
    ) -> list[SessionRecord]:
        with self._lock:
            chosen = [
                record
                for record in self._sessions.values()
                if (status is None or record.status == status)
                and (before is None or record.created_at < before)
            ]
            chosen.sort(key=lambda record: (record.created_at, record.session_id), reverse=True)
            return [replace(record) for record in chosen[: max(limit, 0)]]

    def delete_session(self, session_id: str) -> None:
        with self._lock:
            self._session(session_id)
            del self._sessions[session_id]
            del self._results[session_id]
            del self._exec_ids[session_id]

    # -- node results ----------------------------------------------------------------------------

    def add_result(self, result: ResultRecord) -> None:
        stored = _StoredResult(
            record=_bare(result),
            iteration_path=json.dumps(result.iteration_path),
            output=None if result.output is None else json.dumps(result.output),
            error=None if result.error is None else json.dumps(result.error),
        )
        with self._lock:
            if self._closed:
                raise StoreError(f"store '{self.url}' is closed")
            if result.session_id not in self._sessions:
                raise NotFound(
                    f"cannot store result '{result.exec_id}': session '{result.session_id}' "
                    f"does not exist in {self.url}"
                )
            exec_ids = self._exec_ids[result.session_id]
            if result.exec_id in exec_ids:
                raise DuplicateResult(
                    f"session '{result.session_id}' already has a result for '{result.exec_id}' "
                    f"(node '{result.source_node_id}'); a node execution is stored once"
                )
            rows = self._results[result.session_id]
            stored.record.seq = len(rows) + 1
            rows.append(stored)
            exec_ids.add(result.exec_id)

    def get_results(self, session_id: str) -> list[ResultRecord]:
        with self._lock:
            rows = list(self._results.get(session_id, ()))
        return [
            _bare(
                row.record,
                json.loads(row.iteration_path),
                None if row.output is None else json.loads(row.output),
                None if row.error is None else json.loads(row.error),
            )
            for row in rows
        ]

    # -- helpers ---------------------------------------------------------------------------------

    def _session(self, session_id: str) -> SessionRecord:
        if self._closed:
            raise StoreError(f"store '{self.url}' is closed")
        try:
            return self._sessions[session_id]
        except KeyError:
            raise NotFound(f"session '{session_id}' does not exist in {self.url}") from None


@hookimpl
def register_storage_backends(register: Callable[..., Any]) -> None:
    register("memory", MemoryStore, description="in-process dicts, memory:// (gone when closed)")
