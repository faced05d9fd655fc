"""``nodeloom plugins``: every plugin found, whether it loaded, and what it contributes."""

from __future__ import annotations

import click

from nodeloom.cli.common import emit_json, is_verbose, json_option, print_table, verbose_option


@click.command("plugins", short_help="List plugins and whether each loaded.")
@verbose_option
@json_option
def plugins_command(as_json: bool) -> None:
    """List plugins: name, distribution, version, status, hooks and node count.

    STATUS is active, failed (the error says why: an import error, an invalid or duplicate
    node, a misspelled hook) or disabled (named in NODELOOM_DISABLE_PLUGINS). A failed plugin
    does not stop the others. With the group option --verbose (nodeloom -v plugins), failed
    plugins' tracebacks are shown too.

    \b
    --json prints {"plugins": [{"name", "distribution", "version", "status", "error",
    "hooks", "node_count", "module"}, ...]} (plus "traceback" with --verbose).
    """
    from nodeloom.plugins import get_plugin_manager

    verbose = is_verbose()
    records = get_plugin_manager().sorted_records()
    if as_json:
        emit_json({"plugins": [record.as_dict(verbose=verbose) for record in records]})
        return
    print_table(
        ["NAME", "DISTRIBUTION", "VERSION", "STATUS", "NODES", "HOOKS"],
        [
            [
                record.name,
                record.distribution or "-",
                record.version or "-",
                record.status,
                str(record.node_count),
                ", ".join(record.hooks) or "-",
            ]
            for record in records
        ],
    )
    problems = [record for record in records if record.error]
    if problems:
        click.echo("")
    for record in problems:
        click.echo(f"{record.name} ({record.status}): {record.error}")
        if verbose and record.traceback:
            click.echo(record.traceback.rstrip())
