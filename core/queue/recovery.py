"""Worker identities and the recovery rule for items whose worker died.

The rule
    When a worker starts, every item left ``in_progress`` by a worker process that no longer
    exists on this host is marked ``failed`` with the error "worker died …" (and its session,
    if one was created, ``failed`` too). Such items are never requeued automatically: an item
    that kills its worker (out of memory, a crash in native code) would otherwise kill every
    worker in turn. ``nodeloom queue retry`` puts them back when you want them run again.

How a dead worker is recognised
    A worker's identity is ``host:pid:start:n`` (``start`` is the process start time from
    ``/proc`` where available, so a reused pid is not mistaken for the old worker; ``n``
    tells workers of one process apart). A worker is dead when its host is this host and its
    process is gone or has another start time. Items claimed on other hosts are left alone: a
    worker there recovers them when it starts, and ``nodeloom queue cancel`` ends them by hand.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
from pathlib import Path

from nodeloom.storage.base import FAILED, IN_PROGRESS, NotFound, Store

DIED_MESSAGE = (
    "worker died ({worker} ended while the item was in progress); "
    "run 'nodeloom queue retry {item_id}' to run it again"
)

_numbers = itertools.count(1)


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux), None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after its last ')'
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def worker_identity() -> str:
    """A new identity for a worker of this process: ``host:pid:start:n``."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{process_start(pid) or '-'}:{next(_numbers)}"


def worker_is_dead(identity: str | None) -> bool:
    """True only when ``identity`` names a worker process of this host that no longer runs."""
    if not identity:
        return False
    parts = identity.rsplit(":", 3)
    if len(parts) != 4 or parts[0] != socket.gethostname():
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by someone else
        pass
    started = process_start(pid)
    return parts[2] != "-" and started is not None and started != parts[2]


def recover_dead_items(store: Store, queue: str | None = None) -> list[int]:
    """Apply the recovery rule to ``queue`` (every queue with None); returns the failed item ids."""
    recovered: list[int] = []
    after = None
    while page := store.list_items(status=IN_PROGRESS, queue=queue, after=after, limit=500):
        after = page[-1].item_id
        for item in page:
            if not worker_is_dead(item.worker):
                continue
            message = DIED_MESSAGE.format(worker=item.worker, item_id=item.item_id)
            if not store.finish_item(item.item_id, FAILED, message):
                continue  # canceled (or finished) meanwhile
            recovered.append(item.item_id)
            # NotFound: the worker died before it created the session
            if item.session_id:
                with contextlib.suppress(NotFound):
                    store.set_session_status(item.session_id, FAILED)
    return recovered
