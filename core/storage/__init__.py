"""Opening stores by URL: the scheme picks a backend registered through ``register_storage_backends``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from nodeloom.storage.base import StoreError

if TYPE_CHECKING:
    from nodeloom.plugins import PluginManager
    from nodeloom.storage.base import Store

HOME_ENV = "NODELOOM_HOME"
DB_ENV = "NODELOOM_DB"


def home_dir() -> Path:
    """``$NODELOOM_HOME``, else the platform's user data folder for nodeloom."""
    configured = os.environ.get(HOME_ENV)
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("nodeloom", appauthor=False))


def default_url() -> str:
    """``$NODELOOM_DB`` if set, else ``sqlite:///<home>/nodeloom.db``."""
    return os.environ.get(DB_ENV) or f"sqlite:///{home_dir() / 'nodeloom.db'}"


class UnknownScheme(StoreError):
    """A URL whose scheme no installed backend provides."""


def open_store(url: str | None = None, *, plugin_manager: PluginManager | None = None) -> Store:
    """Open (creating and migrating if needed) the store at ``url``; the default home database without one."""
    from nodeloom.plugins import get_plugin_manager

    url = url or default_url()
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower() if ":" in url else ""
    manager = plugin_manager or get_plugin_manager()
    backends = manager.registry.backends
    entry = backends.get(scheme)
    if entry is None:
        known = ", ".join(f"{name}://" for name in sorted(backends)) or "none"
        raise UnknownScheme(
            f"no storage backend for URL '{url}' (scheme '{scheme}'); registered schemes: {known}"
        )
    return entry.factory(url)
