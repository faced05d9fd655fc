"""``nodeloom validate GRAPH.json``: check a graph file completely without running it."""

from __future__ import annotations

import click

from nodeloom.cli.common import EXIT_BAD_INPUT, emit_json, fail, json_option, verbose_option


@click.command("validate", short_help="Validate a graph file without running it.")
@click.argument("graph_file", metavar="GRAPH.json", type=click.Path(exists=True, dir_okay=False))
@verbose_option
@json_option
@click.pass_context
def validate_command(ctx: click.Context, graph_file: str, as_json: bool) -> None:
    """Validate a graph file against the installed node types, reporting every problem at once.

    Checks the JSON itself (file, line, column), node types (with close matches), fields and
    their values, edges, cycles, type compatibility, iterate/collect rules and required inputs.
    Exit 0 when valid, 2 with one line per problem:

    \b
        node 'x' field 'y': message [code]

    \b
    --json prints {"valid": true|false, "errors": [{"code", "node_id", "field", "message"}, ...]}
    (the exit code is still 2 when the graph is invalid).
    """
    from nodeloom.graph.errors import GraphValidationError
    from nodeloom.graph.load import load_graph_file
    from nodeloom.plugins import get_plugin_manager

    graph = None
    try:
        # Reads, parses and validates; every problem comes back at once.
        graph = load_graph_file(graph_file, get_plugin_manager().registry)
        errors = []
    except GraphValidationError as error:
        errors = error.errors

    if as_json:
        emit_json({"valid": not errors, "errors": [_as_dict(error) for error in errors]})
        if errors:
            ctx.exit(EXIT_BAD_INPUT)
        return
    if errors:
        fail([str(error) for error in errors])
    click.echo(f"{graph_file}: valid ({len(graph.nodes)} nodes, {len(graph.edges)} edges)")


def _as_dict(error) -> dict[str, str | None]:
    return {
        "code": error.code,
        "node_id": error.node_id,
        "field": error.field,
        "message": error.message,
    }
