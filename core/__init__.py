"""nodeloom: a plugin-based node-graph workflow engine for image generation.

The names imported here are the public API that node packs and library users depend on.
Storage and execution helpers are imported lazily so that listing nodes stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nodeloom.context import InvocationContext
from nodeloom.fields import ColorField, ConditioningField, ImageField, LatentsField
from nodeloom.hooks import hookimpl, hookspec
from nodeloom.invocation import (
    BaseInvocation,
    BaseInvocationOutput,
    InputField,
    InvalidNodeDefinition,
    OutputField,
    invocation,
    invocation_output,
)
from nodeloom.plugins import get_plugin_manager, make_plugin_manager

try:
    from importlib.metadata import version as _version

    __version__ = _version("nodeloom")
except Exception:  # running from a source tree that is not installed
    __version__ = "0.0.0"

if TYPE_CHECKING:
    from nodeloom.graph.model import Edge, EdgeConnection, Graph

__all__ = [
    "BaseInvocation",
    "BaseInvocationOutput",
    "ColorField",
    "ConditioningField",
    "Edge",
    "EdgeConnection",
    "Graph",
    "ImageField",
    "InputField",
    "InvalidNodeDefinition",
    "InvocationContext",
    "LatentsField",
    "OutputField",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "invocation",
    "invocation_output",
    "make_plugin_manager",
]

_LAZY = {
    "Graph": "nodeloom.graph.model",
    "Edge": "nodeloom.graph.model",
    "EdgeConnection": "nodeloom.graph.model",
    "GraphValidationError": "nodeloom.graph.errors",
    "Batch": "nodeloom.batch",
    "open_store": "nodeloom.storage",
    "run_graph": "nodeloom.execute",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nodeloom' has no attribute '{name}'")
    import importlib

    return getattr(importlib.import_module(module), name)
