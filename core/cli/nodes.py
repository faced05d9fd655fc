"""``nodeloom nodes``: list the registered node types, and ``nodes show TYPE`` to describe one."""

from __future__ import annotations

import difflib
import inspect
import types
import typing
from typing import TYPE_CHECKING, Any

import click

from nodeloom.cli.common import emit_json, fail, json_option, print_table

if TYPE_CHECKING:
    from nodeloom.plugins import PluginManager
    from nodeloom.registry import NodeEntry


@click.group("nodes", invoke_without_command=True, short_help="List node types; show one.")
@click.option(
    "--category", "-c", metavar="CATEGORY", help="Only nodes of this category (e.g. math)."
)
@json_option
@click.pass_context
def nodes_command(ctx: click.Context, category: str | None, as_json: bool) -> None:
    """List node types: type, title, category, version and the plugin that provides it.

    Use 'nodeloom nodes show TYPE' for a node's inputs and outputs.

    \b
    --json prints {"nodes": [{"type", "title", "category", "version", "plugin", "tags",
    "description"}, ...]} sorted by type.
    """
    if ctx.invoked_subcommand is not None:
        return
    manager = _manager()
    entries = manager.registry.sorted_nodes()
    if category is not None:
        categories = sorted(
            {entry.cls.node_category for entry in entries if entry.cls.node_category}
        )
        if category not in categories:
            close = difflib.get_close_matches(category, categories, n=3, cutoff=0.5)
            hint = f" (did you mean {_quoted(close)}?)" if close else ""
            fail(
                f"no node has category '{category}'{hint}; categories: {', '.join(categories) or 'none'}"
            )
        entries = [entry for entry in entries if entry.cls.node_category == category]
    if as_json:
        emit_json({"nodes": [_summary(entry) for entry in entries]})
        return
    print_table(
        ["TYPE", "TITLE", "CATEGORY", "VERSION", "PLUGIN"],
        [
            [
                entry.type,
                entry.cls.node_title or "",
                entry.cls.node_category or "-",
                entry.cls.node_version,
                entry.plugin,
            ]
            for entry in entries
        ],
    )


@nodes_command.command("show")
@click.argument("node_type", metavar="TYPE")
@json_option
def show_command(node_type: str, as_json: bool) -> None:
    """Describe one node type: its inputs and outputs.

    Each input shows its type, whether it is required, its default and its description; a
    required input needs a value in the graph or an edge into it.

    \b
    --json prints {"type", "title", "category", "version", "plugin", "tags", "description",
    "output_type", "inputs": [{"name", "type", "required", "default", "description"}, ...],
    "outputs": [{"name", "type", "description"}, ...]}.
    """
    manager = _manager()
    entry = manager.registry.nodes.get(node_type)
    if entry is None:
        close = manager.registry.close_node_types(node_type)
        hint = (
            f"; did you mean {_quoted(close)}?" if close else "; run 'nodeloom nodes' to list them"
        )
        fail(f"unknown node type '{node_type}'{hint}")
    details = describe_node(entry)
    if as_json:
        emit_json(details)
        return
    header = f"{details['type']}: {details['title']}"
    facts = [
        f"category {details['category']}" if details["category"] else None,
        f"version {details['version']}",
    ]
    facts.append(f"plugin {details['plugin']}")
    click.echo(f"{header} ({', '.join(fact for fact in facts if fact)})")
    if details["tags"]:
        click.echo(f"tags: {', '.join(details['tags'])}")
    if details["description"]:
        click.echo(details["description"])
    click.echo("\nInputs:")
    print_table(
        ["NAME", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"],
        [
            [
                field["name"],
                field["type"],
                "yes" if field["required"] else "no",
                "-" if field["required"] else _show_default(field["default"]),
                field["description"] or "",
            ]
            for field in details["inputs"]
        ],
    )
    click.echo(f"\nOutputs ({details['output_type']}):")
    print_table(
        ["NAME", "TYPE", "DESCRIPTION"],
        [
            [field["name"], field["type"], field["description"] or ""]
            for field in details["outputs"]
        ],
    )


def describe_node(entry: NodeEntry) -> dict[str, Any]:
    """Everything ``nodes show`` tells about a node, as JSON-ready data."""
    from pydantic_core import to_jsonable_python

    cls = entry.cls
    inputs = []
    for name, field in cls.input_fields().items():
        required = name in cls.node_required_inputs
        default = None
        if not required:
            default = to_jsonable_python(
                field.get_default(call_default_factory=True), fallback=repr
            )
        inputs.append(
            {
                "name": name,
                "type": type_label(field.annotation),
                "required": required,
                "default": default,
                "description": field.description,
            }
        )
    outputs = [
        {"name": name, "type": type_label(field.annotation), "description": field.description}
        for name, field in entry.output.model_fields.items()
        if name != "type"
    ]
    return {
        **_summary(entry),
        "output_type": entry.output.output_type,
        "inputs": inputs,
        "outputs": outputs,
    }


def type_label(annotation: Any) -> str:
    """A short, readable name for a field's type: ``int``, ``list[int]``, ``int | list[int]``."""
    if annotation is Any:
        return "Any"
    if annotation is None or annotation is type(None):
        return "None"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is None:
        return getattr(annotation, "__name__", repr(annotation).replace("typing.", ""))
    if origin is typing.Annotated:
        return type_label(args[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_label(arg) for arg in args)
    if origin is typing.Literal:
        return f"Literal[{', '.join(repr(arg) for arg in args)}]"
    name = getattr(origin, "__name__", repr(origin).replace("typing.", ""))
    return f"{name}[{', '.join(type_label(arg) for arg in args)}]" if args else name


def _summary(entry: NodeEntry) -> dict[str, Any]:
    cls = entry.cls
    return {
        "type": entry.type,
        "title": cls.node_title,
        "category": cls.node_category,
        "version": cls.node_version,
        "plugin": entry.plugin,
        "tags": list(cls.node_tags),
        "description": inspect.cleandoc(cls.__doc__) if cls.__doc__ else None,
    }


def _manager() -> PluginManager:
    """The process-wide plugin manager; failed plugins are mentioned on stderr, never on stdout."""
    from nodeloom.plugins import get_plugin_manager

    manager = get_plugin_manager()
    failed = [record.name for record in manager.sorted_records() if record.status == "failed"]
    if failed:
        click.echo(
            f"warning: {len(failed)} plugin(s) failed to load ({', '.join(failed)}); "
            "their nodes are missing, see 'nodeloom plugins'",
            err=True,
        )
    return manager


def _show_default(value: Any) -> str:
    import json

    return json.dumps(value)


def _quoted(names: list[str]) -> str:
    return " or ".join(f"'{name}'" for name in names)
