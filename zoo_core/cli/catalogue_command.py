"""``zoo catalogue``: a static web site of every registered model, for people who browse."""

from __future__ import annotations

from pathlib import Path

import click

from zoo_core.cli import cli
from zoo_core.cli.output import echo_json


@cli.command("catalogue")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the site into: new, empty, or an earlier catalogue (replaced).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the pages written as JSON.")
def catalogue_command(out_dir: Path, as_json: bool) -> None:
    """Write a static web site of every registered model: an index and one page per card.

    index.html lists every id with filters by modality, task and dims; models/ID.html shows
    the card rendered, its key facts (paper, modality, task, dims, resolution, license),
    whether trained weights ship, its metrics, the images it shows and how to load it. Links
    are relative and nothing loads from the network, so open index.html from disk or serve
    the folder with any static server (python -m http.server).

    The site is written beside --out and renamed into place; a folder that exists is
    replaced only if it is empty or an earlier catalogue (it holds zoo-catalogue.json).
    stdout carries the path of index.html (with --json: every page and file written).

    \b
    Examples:
      zoo catalogue --out site/
      zoo catalogue --out site/ --json | jq -r '.pages[]'
    """
    from zoo_core.catalogue import manifest, write_catalogue

    index = write_catalogue(out_dir)
    if as_json:
        echo_json(manifest(index.parent))
    else:
        click.echo(str(index))
