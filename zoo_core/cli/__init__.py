"""The ``zoo`` command line.

Commands live in small modules next to this one and import heavy libraries inside their
bodies, so ``zoo list`` and ``zoo --help`` never import torch. Errors the zoo raises on
purpose are printed as one line, without a traceback. stdout carries a command's result
only; :mod:`zoo_core.cli.output` sends everything else to stderr.
"""

from __future__ import annotations

import inspect
import sys

import click

from zoo_core import __version__


def short_help(command: click.Command) -> str:
    """``short_help`` if set, else the first paragraph of the help text, whole.

    click's own default stops at the first full stop or about 45 characters, which cuts
    "Progressive GANs (Beers et al. 2018): ..." to "Progressive GANs (Beers et al." and most
    other lines to "...". The help formatter wraps long lines instead.
    """
    if command.short_help:
        return " ".join(inspect.cleandoc(command.short_help).split())
    text = inspect.cleandoc(command.help or "").split("\f")[0]
    return " ".join(text.split("\n\n")[0].split())


class ZooGroup(click.Group):
    """Adds plugin commands lazily and turns ZooErrors into one-line messages."""

    _plugins_loaded = False

    def _load_plugin_commands(self) -> None:
        if not ZooGroup._plugins_loaded:
            ZooGroup._plugins_loaded = True
            from zoo_core.plugins import call_hookimpl, get_plugin_manager, record_error

            hook = get_plugin_manager().hook.register_commands
            for impl in hook.get_hookimpls():
                try:
                    call_hookimpl(impl, cli=self)
                except Exception as exc:
                    record_error(impl.plugin_name, f"register_commands failed: {exc}")

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None:
            self._load_plugin_commands()
            command = super().get_command(ctx, name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list with each command's whole first line (see :func:`short_help`)."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, short_help(command)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        from zoo_core.errors import ZooError

        try:
            return super().invoke(ctx)
        except ZooError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            sys.exit(1)


@click.group(cls=ZooGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zoo")
def cli() -> None:
    """A model zoo of GANs for medical image synthesis.

    List the GANs the literature describes, load one with trained weights, train it on your
    own CT, MRI or fundus data, generate synthetic images and measure them. Results go to
    stdout (as JSON with --json); progress, status lines and warnings go to stderr.
    """
    from zoo_core.cli.output import configure_logging

    configure_logging()


def main() -> None:
    cli(prog_name="zoo")


# Importing the command modules registers their commands on `cli`.
from zoo_core.cli import (  # noqa: E402,F401
    catalog,
    catalogue_command,
    evaluate_command,
    generate_command,
    hub_commands,
    scaffold,
    train_command,
)
