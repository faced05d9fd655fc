"""Registries of contributed node classes and storage backends, fed through ``register`` callables."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nodeloom.invocation import (
    BaseInvocation,
    BaseInvocationOutput,
    InvalidNodeDefinition,
    check_invocation_class,
)


class DuplicateContribution(Exception):
    """Two plugins contributed the same name; the message names both."""


@dataclass(frozen=True)
class NodeEntry:
    """A registered node class and the plugin that provided it."""

    type: str
    cls: type[BaseInvocation]
    output: type[BaseInvocationOutput]
    plugin: str


@dataclass(frozen=True)
class BackendEntry:
    """A registered storage backend: URL scheme, factory and provider."""

    scheme: str
    factory: Callable[[str], Any]
    plugin: str
    description: str = ""


@dataclass
class Registry:
    """Everything plugins contributed: node classes, output classes and storage backends."""

    nodes: dict[str, NodeEntry] = field(default_factory=dict)
    outputs: dict[str, tuple[type[BaseInvocationOutput], str]] = field(default_factory=dict)
    backends: dict[str, BackendEntry] = field(default_factory=dict)

    # -- contributions ---------------------------------------------------------------------------

    def node_registrar(self, plugin: str, added: list[tuple[str, str]]) -> Callable[[Any], None]:
        """A ``register(cls)`` callable for ``plugin``; records what it adds in ``added``."""

        def register(cls: Any) -> None:
            try:
                check_invocation_class(cls)
            except InvalidNodeDefinition as error:
                raise InvalidNodeDefinition(f"plugin '{plugin}': {error}") from None
            node_type = cls.node_type
            existing = self.nodes.get(node_type)
            if existing is not None:
                if existing.cls is cls:
                    return
                raise DuplicateContribution(
                    f"node type '{node_type}' from plugin '{plugin}' ({cls.__module__}.{cls.__qualname__}) "
                    f"is already provided by plugin '{existing.plugin}' "
                    f"({existing.cls.__module__}.{existing.cls.__qualname__})"
                )
            output = cls.output_class()
            known = self.outputs.get(output.output_type)
            if known is not None and known[0] is not output:
                raise DuplicateContribution(
                    f"output type '{output.output_type}' from plugin '{plugin}' "
                    f"({output.__module__}.{output.__qualname__}) is already provided by plugin '{known[1]}' "
                    f"({known[0].__module__}.{known[0].__qualname__})"
                )
            if known is None:
                self.outputs[output.output_type] = (output, plugin)
                added.append(("output", output.output_type))
            self.nodes[node_type] = NodeEntry(node_type, cls, output, plugin)
            added.append(("node", node_type))

        return register

    def backend_registrar(self, plugin: str, added: list[tuple[str, str]]) -> Callable[..., None]:
        """A ``register(scheme, factory, description="")`` callable for ``plugin``."""

        def register(scheme: str, factory: Callable[[str], Any], description: str = "") -> None:
            if not isinstance(scheme, str) or not scheme.isidentifier():
                raise ValueError(
                    f"plugin '{plugin}': storage scheme {scheme!r} must be a plain name like 'sqlite'"
                )
            if not callable(factory):
                raise ValueError(
                    f"plugin '{plugin}': factory for scheme '{scheme}' is not callable"
                )
            existing = self.backends.get(scheme)
            if existing is not None:
                raise DuplicateContribution(
                    f"storage scheme '{scheme}' from plugin '{plugin}' is already provided by plugin '{existing.plugin}'"
                )
            self.backends[scheme] = BackendEntry(scheme, factory, plugin, description)
            added.append(("backend", scheme))

        return register

    def withdraw(self, added: list[tuple[str, str]]) -> None:
        """Remove contributions recorded in ``added`` (a plugin that failed half-way)."""
        for kind, name in added:
            if kind == "node":
                self.nodes.pop(name, None)
            elif kind == "output":
                self.outputs.pop(name, None)
            elif kind == "backend":
                self.backends.pop(name, None)

    # -- lookups ---------------------------------------------------------------------------------

    def node_class(self, node_type: str) -> type[BaseInvocation] | None:
        entry = self.nodes.get(node_type)
        return entry.cls if entry else None

    def sorted_nodes(self) -> list[NodeEntry]:
        return [self.nodes[name] for name in sorted(self.nodes)]

    def close_node_types(self, name: str, n: int = 3) -> list[str]:
        return difflib.get_close_matches(name, list(self.nodes), n=n, cutoff=0.6)
