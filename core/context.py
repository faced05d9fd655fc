"""InvocationContext: the small, stable API a node uses while it runs."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nodeloom.fields import ImageField
from nodeloom.storage.artifacts import ArtifactStore


class CanceledError(Exception):
    """Raised inside a node (by ``context.raise_if_canceled()``) when its session was canceled."""


@dataclass
class SessionInfo:
    """Who a running session is: passed to the session lifecycle hooks."""

    session_id: str
    graph_id: str | None = None
    batch_id: str | None = None
    queue_item_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Progress:
    """One progress report from a long node."""

    session_id: str
    node_id: str
    source_node_id: str
    step: int
    total: int
    preview: Any = None


class ImagesInterface:
    """``context.images``: save PIL images (PNG, producing graph embedded) and load them by name."""

    def __init__(self, context: InvocationContext) -> None:
        self._context = context

    def save(self, image: Any) -> ImageField:
        context = self._context
        metadata = {
            "nodeloom_session": context.session_id,
            "nodeloom_node": context.source_node_id,
        }
        if context.graph_json is not None:
            metadata["nodeloom_graph"] = context.graph_json
        return ImageField(image_name=context.artifacts.save_image(image, metadata))

    def load(self, image: str | ImageField) -> Any:
        name = image.image_name if isinstance(image, ImageField) else image
        return self._context.artifacts.load_image(name)


class TensorsInterface:
    """``context.tensors``: save and load tensors as safetensors files (torch imported only here)."""

    def __init__(self, context: InvocationContext) -> None:
        self._context = context

    def save(self, tensor: Any) -> str:
        return self._context.artifacts.save_tensor(tensor)

    def load(self, name: str) -> Any:
        return self._context.artifacts.load_tensor(name)


class InvocationContext:
    """Everything a node may touch while it runs: ids, artifacts, progress and cancellation."""

    def __init__(
        self,
        *,
        session_id: str,
        node_id: str,
        source_node_id: str,
        artifacts: ArtifactStore,
        graph_json: str | None = None,
        cancel_event: threading.Event | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.session_id = session_id
        self.node_id = node_id
        self.source_node_id = source_node_id
        self.artifacts = artifacts
        self.graph_json = graph_json
        self._cancel_event = cancel_event
        self._on_progress = on_progress

    @property
    def images(self) -> ImagesInterface:
        """Save and load images (PNG files in the artifact store)."""
        return ImagesInterface(self)

    @property
    def tensors(self) -> TensorsInterface:
        """Save and load tensors (safetensors files in the artifact store)."""
        return TensorsInterface(self)

    @classmethod
    def standalone(cls, root: str | None = None, node_id: str = "node") -> InvocationContext:
        """A context over a private artifact folder, for calling ``invoke`` directly (tests, notebooks)."""
        folder = root or tempfile.mkdtemp(prefix="nodeloom-context-")
        return cls(
            session_id="standalone",
            node_id=node_id,
            source_node_id=node_id,
            artifacts=ArtifactStore(folder),
        )

    def report_progress(self, step: int, total: int, preview: Any = None) -> None:
        """Tell the user how far a long node is; the CLI shows it as a progress bar.

        A progress report is also a cancellation point: if the session was canceled (before or
        during the report), this raises ``CanceledError`` and the node stops here.
        """
        if self._on_progress is not None:
            self._on_progress(
                Progress(self.session_id, self.node_id, self.source_node_id, step, total, preview)
            )
        self.raise_if_canceled()

    def is_canceled(self) -> bool:
        return self._cancel_event is not None and self._cancel_event.is_set()

    def raise_if_canceled(self) -> None:
        if self.is_canceled():
            raise CanceledError(f"session {self.session_id} was canceled")
