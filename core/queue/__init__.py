"""The session queue's workers: claim items, build their sessions lazily, run them, recover.

``Worker`` (``nodeloom.queue.worker``) runs the items of one queue; the recovery rule for
items whose worker died is in ``nodeloom.queue.recovery``; ``nodeloom.queue.sessions`` turns a
queue item into its session; ``nodeloom.queue.notices`` holds the queue's lifecycle hooks.
Storing batches and items is the store's job (``Store.enqueue_batch`` and friends).
"""

from __future__ import annotations

from nodeloom.queue.recovery import DIED_MESSAGE, recover_dead_items, worker_identity
from nodeloom.queue.worker import ItemOutcome, Worker, WorkSummary

__all__ = [
    "DIED_MESSAGE",
    "ItemOutcome",
    "WorkSummary",
    "Worker",
    "recover_dead_items",
    "worker_identity",
]
