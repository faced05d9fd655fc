"""Shared fixtures: fresh plugin managers, per-test plugins, and the example packs pip-installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nodeloom.plugins import PluginManager, PluginRecord, make_plugin_manager, set_plugin_manager

PACKS_DIR = Path(__file__).parent / "packs"
#: The example packs under tests/packs/: folder -> import package.
PACKS = {
    "shout_pack": "nodeloom_shout",
    "broken_import_pack": "nodeloom_broken_import",
    "duplicate_pack": "nodeloom_duplicate",
    "misspelled_hook_pack": "nodeloom_misspelled_hook",
}


@pytest.fixture
def plugin_manager() -> Iterator[PluginManager]:
    """A fresh plugin manager with every installed entry point, used process-wide for one test."""
    manager = make_plugin_manager()
    set_plugin_manager(manager)
    yield manager
    set_plugin_manager(None)


@pytest.fixture
def core_plugin_manager() -> Iterator[PluginManager]:
    """A fresh plugin manager with only the core plugin (no entry points), used process-wide."""
    manager = make_plugin_manager(entry_points=False)
    set_plugin_manager(manager)
    yield manager
    set_plugin_manager(None)


@pytest.fixture
def register_plugin(plugin_manager: PluginManager) -> Iterator[Callable[..., PluginRecord]]:
    """``register_plugin(obj, name)`` adds a plugin to ``plugin_manager`` for this test only."""
    added: list[str] = []

    def register(plugin: Any, name: str, **kwargs: Any) -> PluginRecord:
        record = plugin_manager.add_plugin(plugin, name, **kwargs)
        added.append(record.name)
        return record

    yield register
    for name in reversed(added):
        plugin_manager.remove_plugin(name)


def _pip_install(sources: list[Path], target: Path, isolation: bool) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--no-deps", "--target", str(target)]
    if not isolation:
        command.append("--no-build-isolation")
    return subprocess.run(
        command + [str(source) for source in sources],
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_NO_INPUT": "1"},
        check=False,
    )


@pytest.fixture(scope="session")
def packs_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example packs pip-installed (real wheels, real entry points) into a private folder.

    The sources are copied first so that building them leaves nothing behind in tests/packs.
    """
    root = tmp_path_factory.mktemp("packs")
    sources = []
    for folder in PACKS:
        source = root / "src" / folder
        shutil.copytree(
            PACKS_DIR / folder, source, ignore=shutil.ignore_patterns("build", "*.egg-info")
        )
        sources.append(source)
    site = root / "site"
    result = _pip_install(sources, site, isolation=False)
    if result.returncode != 0:  # an old setuptools cannot build in place: let pip fetch one
        result = _pip_install(sources, site, isolation=True)
    if result.returncode != 0:
        pytest.fail(f"pip could not install the example packs:\n{result.stdout}\n{result.stderr}")
    return site


@pytest.fixture
def packs_on_path(packs_site: Path) -> Iterator[Path]:
    """Make the installed packs importable and discoverable (importlib.metadata scans sys.path)."""
    sys.path.insert(0, str(packs_site))
    yield packs_site
    sys.path.remove(str(packs_site))
    for module in list(sys.modules):
        if module.split(".")[0] in PACKS.values():
            del sys.modules[module]


@pytest.fixture
def pack_manager(packs_on_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PluginManager]:
    """A fresh plugin manager that discovered the example packs, used process-wide for one test."""
    monkeypatch.delenv("NODELOOM_DISABLE_PLUGINS", raising=False)
    manager = make_plugin_manager()
    set_plugin_manager(manager)
    yield manager
    set_plugin_manager(None)


def console_script() -> str:
    """The installed ``nodeloom`` console script of this interpreter (not a shell shim)."""
    beside = Path(sys.executable).parent / "nodeloom"
    found = str(beside) if beside.exists() else shutil.which("nodeloom")
    if found is None:
        pytest.fail("the nodeloom console script is not installed (pip install -e .)")
    return found


@pytest.fixture
def run_nodeloom(packs_site: Path) -> Callable[..., subprocess.CompletedProcess]:
    """Run the real ``nodeloom`` console script in a subprocess that sees the example packs."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        environment = {
            key: value for key, value in os.environ.items() if key != "NODELOOM_DISABLE_PLUGINS"
        }
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(packs_site), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        environment.update(env or {})
        return subprocess.run(
            [console_script(), *args], capture_output=True, text=True, env=environment, timeout=120
        )

    return run
