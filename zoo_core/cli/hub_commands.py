"""``zoo push`` and ``zoo download``: publishing weights and filling the cache."""

from __future__ import annotations

import json

import click

from zoo_core.cli import cli

SOURCE_HELP = "'hf' (the Hugging Face Hub, default) or 'dir:PATH' (a local-directory hub)."


@cli.command("push")
@click.argument("path", type=click.Path(exists=True))
@click.option("--repo-id", required=True, help="Where to publish, as ORG/NAME.")
@click.option("--to", "to", default=None, help=f"Hub to publish to: {SOURCE_HELP}")
@click.option("--model-id", default=None, help="Registered id whose card to use.")
@click.option("-m", "--message", default=None, help="Commit message.")
@click.option("--private", is_flag=True, help="Create the Hub repo as private.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def push_command(path, repo_id, to, model_id, message, private, as_json) -> None:
    """Publish a checkpoint or a model folder with its config and model card.

    PATH is a checkpoint written by `zoo train` or a folder holding model.safetensors and
    config.yaml. The weights go up as safetensors with a README.md model card that lists the
    sha256 of every file; `zoo.load(ORG/NAME)` checks them on every load.
    """
    from zoo_core.api import push

    result = push(path, repo_id, to=to, model_id=model_id, commit_message=message, private=private)
    if as_json:
        click.echo(json.dumps(result.__dict__, indent=2))
    else:
        click.echo(f"Published {result.model_id} to {result.repo_id} on {result.source}")
        click.echo(f"  commit {result.commit}")
        for name, digest in result.files.items():
            click.echo(f"  {name}  sha256 {digest}")


@cli.command("download")
@click.argument("model_id")
@click.option("--revision", default=None, help="Commit, branch or tag to fetch.")
@click.option("--source", default=None, help=f"Hub to fetch from: {SOURCE_HELP}")
def download_command(model_id, revision, source) -> None:
    """Fetch a model's published files into the cache ahead of use (checked by sha256)."""
    from zoo_core.api import download

    fetched = download(model_id, revision=revision, source=source)
    click.echo(f"{model_id}@{fetched.commit} from {fetched.source}:")
    for name, path in sorted(fetched.files.items()):
        click.echo(f"  {name}: {path}")
