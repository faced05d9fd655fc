"""Shared CLI plumbing: JSON output, bad-input errors (exit 2) and opening the store."""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any, NoReturn

import click

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class BadInput(click.ClickException):
    """A user mistake: printed as 'Error: ...' lines, exit code 2, no traceback."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str | list[str]) -> None:
        lines = [message] if isinstance(message, str) else list(message)
        super().__init__("\n".join(lines))
        self.lines = lines

    def show(self, file: Any = None) -> None:
        stream = file or sys.stderr
        for line in self.lines:
            click.echo(f"Error: {line}", file=stream)


def fail(message: str | list[str]) -> NoReturn:
    raise BadInput(message)


def emit_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout (the only thing on stdout with ``--json``)."""
    click.echo(json.dumps(data, indent=2, default=str))


def is_verbose() -> bool:
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if isinstance(ctx.obj, dict) and "verbose" in ctx.obj:
            return bool(ctx.obj["verbose"])
        ctx = ctx.parent
    return False


def verbose_option(function: Any) -> Any:
    """``--verbose`` after the subcommand too (``nodeloom run X --verbose``), same as ``nodeloom -v``."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            ctx.ensure_object(dict)["verbose"] = True
        return value

    return click.option(
        "--verbose",
        "-v",
        is_flag=True,
        expose_value=False,
        callback=remember,
        help="Show tracebacks and extra detail on errors.",
    )(function)


def json_option(function: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON only on stdout.")(
        function
    )


def db_option(function: Any) -> Any:
    return click.option(
        "--db",
        "db_url",
        default=None,
        metavar="URL",
        help="Store URL (sqlite:///path.db, memory://). Default: $NODELOOM_DB or <home>/nodeloom.db.",
    )(function)


def open_store_or_fail(url: str | None) -> Any:
    """Open the store at ``url``; an unknown scheme or unreadable file exits 2 with the reason."""
    from nodeloom.storage import open_store
    from nodeloom.storage.base import StoreError

    try:
        return open_store(url)
    except StoreError as error:
        fail(str(error))


def run_cli(group: click.Group) -> None:
    """Run the group; unexpected exceptions print one line (traceback only with --verbose)."""
    try:
        # Without standalone mode, click returns (not raises) the code given to ctx.exit(code).
        result = group.main(standalone_mode=False, prog_name="nodeloom")
    except click.exceptions.Exit as exit_:
        sys.exit(exit_.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_FAILED)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except Exception as error:
        if "--verbose" in sys.argv or "-v" in sys.argv:
            traceback.print_exc()
        click.echo(f"Error: {type(error).__name__}: {error}", err=True)
        sys.exit(EXIT_FAILED)
    sys.exit(result if isinstance(result, int) else EXIT_OK)


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """Print rows as a rich table on a terminal and as aligned plain text otherwise (pipes, files)."""
    cells = [[str(cell) for cell in row] for row in rows]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(header_style="bold")
        for header in headers:
            table.add_column(header, overflow="fold")
        for row in cells:
            table.add_row(*(Text(cell) for cell in row))  # Text: no markup parsing of names

        Console().print(table)
        return
    widths = [
        max([len(header), *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)
    ]
    for row in [headers, *cells]:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
