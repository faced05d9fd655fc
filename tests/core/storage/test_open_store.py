"""Opening stores by URL through the backends the real entry points register."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nodeloom import make_plugin_manager
from nodeloom.plugins import PluginManager
from nodeloom.storage import UnknownScheme, open_store
from nodeloom.storage.memory import MemoryStore
from nodeloom.storage.sqlite import SqliteStore


@pytest.fixture(scope="module")
def manager() -> PluginManager:
    return make_plugin_manager()


def test_builtin_backends_are_registered_by_their_plugins(manager: PluginManager) -> None:
    backends = manager.registry.backends
    assert backends["sqlite"].plugin == "sqlite"
    assert backends["memory"].plugin == "memory"
    assert "sqlite:///" in backends["sqlite"].description


def test_urls_open_the_matching_backend(manager: PluginManager, tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'x.db'}", plugin_manager=manager) as store:
        assert isinstance(store, SqliteStore)
        assert store.info().backend == "sqlite"
    with open_store("memory://", plugin_manager=manager) as store:
        assert isinstance(store, MemoryStore)


def test_an_unknown_scheme_lists_the_registered_ones(manager: PluginManager) -> None:
    with pytest.raises(UnknownScheme) as raised:
        open_store("mongo://db/x", plugin_manager=manager)
    message = str(raised.value)
    assert "mongo://db/x" in message
    assert "memory://" in message and "sqlite://" in message


def test_loading_plugins_does_not_import_sqlalchemy(tmp_path: Path) -> None:
    """`nodeloom nodes` loads every plugin; the storage plugins must not make that slow."""
    script = (
        "import sys\n"
        "from nodeloom import make_plugin_manager\n"
        "manager = make_plugin_manager()\n"
        "assert {'sqlite', 'memory'} <= set(manager.registry.backends), manager.registry.backends\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'sqlmodel')))\n"
    )
    environment = {
        key: value for key, value in os.environ.items() if key != "NODELOOM_DISABLE_PLUGINS"
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
