"""Fixtures for queue tests: a plugin manager with the queue test nodes, stores per backend."""

from __future__ import annotations

import pytest
from queue_nodes import make_manager

from nodeloom.plugins import set_plugin_manager
from nodeloom.storage import open_store


@pytest.fixture
def manager():
    """Primitives plus the queue test nodes, used process-wide for one test (the CLI needs it)."""
    created = make_manager()
    set_plugin_manager(created)
    yield created
    set_plugin_manager(None)


@pytest.fixture(params=["sqlite", "memory"])
def store(request, tmp_path, manager):
    url = f"sqlite:///{tmp_path / 'queue.db'}" if request.param == "sqlite" else "memory://"
    opened = open_store(url, plugin_manager=manager)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'queue.db'}"


@pytest.fixture
def register_plugin_on():
    """``register_plugin_on(manager, plugin, name)`` adds a plugin for this test only."""
    added = []

    def register(target, plugin, name):
        record = target.add_plugin(plugin, name)
        assert record.status == "active", record.error
        added.append((target, name))
        return plugin

    yield register
    for target, name in reversed(added):
        target.remove_plugin(name)
