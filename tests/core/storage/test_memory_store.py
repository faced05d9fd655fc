"""Memory-specific behaviour: each store is private and its artifact folder goes with it."""

from __future__ import annotations

import pytest

from nodeloom.storage.base import StoreError
from nodeloom.storage.contract import GRAPH_JSON
from nodeloom.storage.memory import MemoryStore


def test_each_memory_store_is_independent() -> None:
    with MemoryStore() as first, MemoryStore() as second:
        first.save_graph("g1", GRAPH_JSON)
        assert second.info().counts["graphs"] == 0
        assert first.artifacts.root != second.artifacts.root


def test_close_removes_the_artifact_folder_and_refuses_work() -> None:
    from PIL import Image

    store = MemoryStore()
    store.artifacts.save_image(Image.new("L", (1, 1)))
    root = store.artifacts.root
    assert root.is_dir()
    store.close()
    assert not root.exists()
    with pytest.raises(StoreError, match="closed"):
        store.get_session("s1")


def test_other_urls_are_refused() -> None:
    with pytest.raises(StoreError, match="memory://"):
        MemoryStore("sqlite:///x.db")
