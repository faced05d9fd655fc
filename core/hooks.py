"""The hook specifications: the whole extension surface of nodeloom, and the two markers.

Plugins implement these with ``@hookimpl`` and are discovered through the ``nodeloom``
entry-point group. Contribution hooks receive a ``register`` callable that validates each
contribution on the spot and knows which plugin is calling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from nodeloom.context import InvocationContext, SessionInfo
    from nodeloom.invocation import BaseInvocation, BaseInvocationOutput

PROJECT = "nodeloom"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- node registration -------------------------------------------------------------------------


@hookspec
def register_invocations(register: Callable[[type[BaseInvocation]], None]) -> None:
    """Contribute node classes.

    Called once when the plugin manager is built. ``register(cls)`` takes a class decorated with
    ``@invocation``; its output class (the return annotation of ``invoke``) is registered with
    it. ``register`` raises when the class breaks an authoring rule or its type name is already
    taken by another plugin; the calling plugin is then recorded as failed and its other
    contributions are withdrawn.
    """


# --- schema extras -----------------------------------------------------------------------------


@hookspec
def prepare_node_schema(schema: dict[str, Any], node_class: type[BaseInvocation]) -> None:
    """Add keys to the JSON schema of one node class, in place.

    Called for every registered node when the OpenAPI document is built. The core itself uses
    this hook to add ``class: "invocation"``, ``output``, ``category``, ``version`` and ``tags``.
    """


@hookspec
def prepare_output_schema(schema: dict[str, Any], output_class: type[BaseInvocationOutput]) -> None:
    """Add keys to the JSON schema of one output class, in place (the core adds ``class: "output"``)."""


# --- storage backends --------------------------------------------------------------------------


@hookspec
def register_storage_backends(register: Callable[..., None]) -> None:
    """Contribute storage backends.

    ``register(scheme, factory, description="")`` binds a URL scheme (``sqlite``, ``memory``,
    ``postgresql``...) to ``factory(url: str) -> Store``. The factory is only called when a store
    with that scheme is opened, so it should import its heavy dependencies lazily.
    """


# --- execution lifecycle -----------------------------------------------------------------------


@hookspec
def before_session(session: SessionInfo) -> None:
    """A session is about to run its first node (also when a resumed session starts again)."""


@hookspec(firstresult=True)
def execute_node(invocation: BaseInvocation, context: InvocationContext) -> BaseInvocationOutput:
    """Run one node and return its output.

    The core provides the innermost implementation, which calls ``invocation.invoke(context)``.
    Plugins wrap it with ``@hookimpl(wrapper=True)`` generators to measure or observe node
    execution: ``output = yield`` hands control to the next layer and re-raises its error.
    """


@hookspec
def after_node(
    invocation: BaseInvocation, context: InvocationContext, output: BaseInvocationOutput
) -> None:
    """A node finished and its output has been stored."""


@hookspec
def on_node_error(
    invocation: BaseInvocation, context: InvocationContext, error: BaseException
) -> None:
    """A node raised. The session stops after this hook; ``error`` is the exception."""


@hookspec
def after_session(session: SessionInfo, status: str) -> None:
    """A session ended with ``status`` ``completed``, ``failed`` or ``canceled``.

    Fires for every session, whether or not it belongs to a queued batch
    (``session.batch_id`` is ``None`` then).
    """


# --- command line ------------------------------------------------------------------------------


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``nodeloom`` command group (``cli.add_command(...)``)."""
