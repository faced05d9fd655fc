"""The queue's own lifecycle hooks: a queued session's end is recorded on its queue item.

A worker registers a ``QueueNotices`` on the plugin manager while it works. Its
``after_session`` fires for *every* session that ends in the process, as it does for any
plugin; sessions that belong to no batch (a plain ``run_graph``, ``nodeloom run``) or that
another worker runs are ignored, so such a notice never touches a queue item and never fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nodeloom.hooks import hookimpl
from nodeloom.storage.base import FAILED, NotFound

if TYPE_CHECKING:
    from nodeloom.context import SessionInfo
    from nodeloom.storage.base import Store


def describe_errors(errors: list[dict[str, Any]]) -> str | None:
    """Node errors as one line for the item: ``node 'm' (mul): ValueError: message``."""
    if not errors:
        return None
    return "; ".join(
        f"node '{error.get('node_id')}' ({error.get('node_type')}): "
        f"{error.get('error_type')}: {error.get('message')}"
        for error in errors
    )


class QueueNotices:
    """Records the outcome of the sessions one worker runs on their queue items."""

    def __init__(self, store: Store) -> None:
        self.store = store
        #: session id -> the runner's error list, for the sessions this worker is running
        self.running: dict[str, list[dict[str, Any]]] = {}
        #: session id -> whether the notice changed the item (False: it had already ended)
        self.recorded: dict[str, bool] = {}

    @hookimpl
    def after_session(self, session: SessionInfo, status: str) -> None:
        if session.queue_item_id is None:
            return  # not part of any batch: nothing queued to record
        errors = self.running.get(session.session_id)
        if errors is None:
            return  # a session another worker (or another store) is running
        error = describe_errors(errors) if status == FAILED else None
        try:
            changed = self.store.finish_item(session.queue_item_id, status, error)
        except NotFound:  # the queue was cleared while the session ran
            changed = False
        self.recorded[session.session_id] = changed
