"""The ``nodeloom`` command line: a click group whose nouns live one per module, loaded lazily."""

from __future__ import annotations

import importlib

import click

#: command name -> "module:attribute"; modules are imported only when their command runs,
#: so ``nodeloom nodes`` never pays for storage or execution imports.
COMMANDS = {
    "plugins": "nodeloom.cli.plugins:plugins_command",
    "nodes": "nodeloom.cli.nodes:nodes_command",
    "validate": "nodeloom.cli.validate:validate_command",
    "schema": "nodeloom.cli.schema:schema_command",
    "run": "nodeloom.cli.run:run_command",
    "sessions": "nodeloom.cli.sessions:sessions_command",
    "db": "nodeloom.cli.db:db_command",
    "images": "nodeloom.cli.images:images_command",
    "queue": "nodeloom.cli.queue:queue_command",
}


class LazyGroup(click.Group):
    """A group that imports a built-in command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(
            {*self._builtin_names(), *super().list_commands(ctx), *self._plugin_commands(ctx)}
        )

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and self._module_exists(name):
            module_name, attribute = COMMANDS[name].split(":")
            return getattr(importlib.import_module(module_name), attribute)
        command = super().get_command(ctx, name)
        if command is None:
            command = self._plugin_commands(ctx).get(name)
        return command

    @staticmethod
    def _module_exists(name: str) -> bool:
        import importlib.util

        return importlib.util.find_spec(COMMANDS[name].split(":")[0]) is not None

    def _builtin_names(self) -> list[str]:
        return [name for name in COMMANDS if self._module_exists(name)]

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        """Commands added by plugins through ``register_commands``, collected once per plugin manager."""
        from nodeloom.plugins import get_plugin_manager

        manager = get_plugin_manager()
        # Keyed on the manager so that set_plugin_manager() (tests, embedding) takes effect.
        cached = getattr(self, "_plugin_group", None)
        if cached is None or cached[0] is not manager:
            group = click.Group()
            manager.call_each("register_commands", cli=group)
            cached = self._plugin_group = (manager, group)
        return cached[1].commands


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nodeloom", prog_name="nodeloom")
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks and extra detail on errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """nodeloom: build, validate, run and queue node-graph workflows for image generation.

    Every read command takes --json (JSON only on stdout). Exit codes: 0 success, 1 the
    workflow ran and failed, 2 bad input.
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose


def main() -> None:
    from nodeloom.cli.common import run_cli

    run_cli(cli)
