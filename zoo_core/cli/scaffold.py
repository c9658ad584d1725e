"""``zoo new-plugin``: a ready plugin package that passes the conformance kit."""

from __future__ import annotations

import re
import string
from importlib import resources
from pathlib import Path

import click

from zoo_core.cli import cli
from zoo_core.errors import ZooError

TEMPLATE_PACKAGE = "zoo_core"
TEMPLATE_DIR = "templates/plugin"


def render_plugin(name: str, author: str, parent: Path) -> Path:
    """Write the template for plugin ``name`` under ``parent``; returns the package folder."""
    if not re.fullmatch(r"[a-z][a-z0-9]*", name):
        raise ZooError(f"plugin name {name!r} must be lower-case letters and digits, e.g. 'mygan'.")
    if not re.fullmatch(r"[a-z][a-z0-9]*", author):
        raise ZooError(f"author {author!r} must be lower-case letters and digits, e.g. 'smith'.")
    values = {"name": name, "Name": name.capitalize(), "model_id": f"{author}-{name}-example"}
    target = parent / f"zoo-{name}"
    if target.exists():
        raise ZooError(f"{target} already exists; choose another name or folder.")
    root = resources.files(TEMPLATE_PACKAGE).joinpath(TEMPLATE_DIR)
    for source in _walk(root):
        relative = string.Template(source["relative"]).substitute(values).removesuffix(".tmpl")
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(string.Template(source["text"]).substitute(values), encoding="utf-8")
    return target


def _walk(root, prefix: str = ""):
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        relative = f"{prefix}{entry.name}"
        if entry.is_dir():
            yield from _walk(entry, relative + "/")
        elif entry.name.endswith(".tmpl"):
            yield {"relative": relative, "text": entry.read_text(encoding="utf-8")}


@cli.command("new-plugin")
@click.argument("name")
@click.option("--author", default="you", show_default=True, help="First part of the model id.")
@click.option(
    "--dir",
    "parent",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to create the package in.",
)
def new_plugin_command(name: str, author: str, parent: Path) -> None:
    """Create a plugin package zoo-NAME with one architecture, config, card and tests.

    The package registers through the `zoo` entry point like any third-party plugin and
    passes the conformance kit as generated; replace its small DCGAN with your architecture.
    """
    target = render_plugin(name, author, parent)
    click.echo(f"Created {target}. Next:")
    click.echo(f"  pip install -e {target}")
    click.echo(f"  zoo list '*-{name}-*'")
    click.echo(f"  pytest {target / 'tests'}")
