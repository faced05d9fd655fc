"""``nodeloom db``: where the store is, its schema version and row counts; forward migrations."""

from __future__ import annotations

from dataclasses import asdict

import click

from nodeloom.cli.common import db_option, emit_json, json_option, open_store_or_fail


@click.group("db")
def db_command() -> None:
    """Inspect and migrate the store."""


@db_command.command("info")
@db_option
@json_option
def info(db_url: str | None, as_json: bool) -> None:
    """Show the store URL, backend, schema version and row counts."""
    with open_store_or_fail(db_url) as store:
        data = asdict(store.info())
    if as_json:
        emit_json(data)
        return
    click.echo(f"url:            {data['url']}")
    click.echo(f"backend:        {data['backend']}")
    click.echo(f"schema version: {data['schema_version']} (latest {data['latest_schema_version']})")
    click.echo(f"artifacts:      {data['artifacts_root']}")
    for table, count in data["counts"].items():
        click.echo(f"  {table:<14}{count}")


@db_command.command("migrate")
@db_option
@json_option
def migrate(db_url: str | None, as_json: bool) -> None:
    """Bring the store's schema to the latest version (safe to run again)."""
    with open_store_or_fail(db_url) as store:
        version = store.migrate()
    if as_json:
        emit_json({"schema_version": version})
    else:
        click.echo(f"schema version {version}")
