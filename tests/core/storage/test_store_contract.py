"""The store contract suite, run on every built-in backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nodeloom.storage.base import Store
from nodeloom.storage.contract import StoreContract
from nodeloom.storage.memory import MemoryStore
from nodeloom.storage.sqlite import SqliteStore


class TestSqliteStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        with SqliteStore(f"sqlite:///{tmp_path / 'contract.db'}") as store:
            yield store


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> Iterator[Store]:
        with MemoryStore("memory://") as store:
            yield store
