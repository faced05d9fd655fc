"""``nodeloom images``: bring image files into the artifact store and get them out again."""

from __future__ import annotations

from pathlib import Path

import click

from nodeloom.cli.common import db_option, emit_json, fail, json_option, open_store_or_fail


@click.group("images")
def images_command() -> None:
    """Import and export images of the artifact store."""


@images_command.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@db_option
@json_option
def import_images(files: tuple[Path, ...], db_url: str | None, as_json: bool) -> None:
    """Copy image files into the store (as PNG) and print the name of each, for use in graphs."""
    for file in files:
        if not file.is_file():
            fail(f"{file}: no such file")
    with open_store_or_fail(db_url) as store:
        names = []
        for file in files:
            try:
                names.append({"file": str(file), "image_name": store.artifacts.import_image(file)})
            except ValueError as error:
                fail(str(error))
    if as_json:
        emit_json(names)
        return
    for item in names:
        click.echo(item["image_name"])


@images_command.command("export")
@click.argument("name")
@click.argument("destination", type=click.Path(path_type=Path))
@db_option
def export_image(name: str, destination: Path, db_url: str | None) -> None:
    """Copy the stored image NAME to DESTINATION (a file path, or a folder to put it in)."""
    from nodeloom.storage.artifacts import ArtifactNotFound

    if destination.is_dir():
        destination = destination / name
    with open_store_or_fail(db_url) as store:
        try:
            written = store.artifacts.export_image(name, destination)
        except ArtifactNotFound as error:
            fail(str(error))
        except OSError as error:
            fail(f"cannot write {destination}: {error}")
    click.echo(str(written))
