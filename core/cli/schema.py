"""``nodeloom schema``: the OpenAPI 3.1 document of every installed node and output."""

from __future__ import annotations

import json

import click

from nodeloom.cli.common import fail


@click.command("schema", short_help="Print the OpenAPI 3.1 document of all nodes.")
@click.option(
    "--output",
    "-o",
    "output_file",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE",
    help="Write the document to FILE instead of stdout.",
)
def schema_command(output_file: str | None) -> None:
    """Print the OpenAPI 3.1 document whose components hold every node and output schema.

    Node schemas carry class "invocation", their output as a $ref, title, tags, category and
    version; output schemas carry class "output". Plugins add keys of their own through the
    prepare_node_schema / prepare_output_schema hooks. Use it to generate clients or editors.
    """
    from nodeloom.schema import build_openapi

    text = json.dumps(build_openapi(), indent=2)
    if output_file is None:
        click.echo(text)
        return
    try:
        with open(output_file, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    except OSError as error:
        fail(f"cannot write {output_file}: {error.strerror or error}")
    click.echo(f"wrote {output_file}", err=True)
