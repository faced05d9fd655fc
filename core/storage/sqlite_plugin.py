"""Registers the ``sqlite`` storage backend without importing SQLAlchemy until a store is opened.

Plugins load on every ``nodeloom`` command (``nodeloom nodes`` included), so this entry-point
module stays light; ``nodeloom.storage.sqlite`` and SQLModel are imported by the factory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nodeloom.hooks import hookimpl

if TYPE_CHECKING:
    from nodeloom.storage.sqlite import SqliteStore


def open_sqlite_store(url: str) -> SqliteStore:
    """Open (creating and migrating) the SQLite store at ``url``."""
    from nodeloom.storage.sqlite import SqliteStore

    return SqliteStore(url)


@hookimpl
def register_storage_backends(register: Callable[..., Any]) -> None:
    register(
        "sqlite",
        open_sqlite_store,
        description="one SQLite file, sqlite:///path.db (WAL; safe across threads and processes)",
    )
