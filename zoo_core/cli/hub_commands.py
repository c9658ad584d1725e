"""``zoo push``, ``zoo download`` and ``zoo ship``: publishing weights, filling the cache and
writing the weights folder a plugin ships."""

from __future__ import annotations

import click

from zoo_core.cli import cli
from zoo_core.cli.output import echo_json

SOURCE_HELP = "'hf' (the Hugging Face Hub, default) or 'dir:PATH' (a local-directory hub)."


@cli.command("push")
@click.argument("path", type=click.Path(exists=True))
@click.option("--repo-id", required=True, help="Where to publish, as ORG/NAME.")
@click.option("--to", "to", default=None, help=f"Hub to publish to: {SOURCE_HELP}")
@click.option("--model-id", default=None, help="Registered id whose card to use.")
@click.option("-m", "--message", default=None, help="Commit message.")
@click.option("--private", is_flag=True, help="Create the Hub repo as private.")
@click.option(
    "--metrics",
    "metrics_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="`zoo evaluate --json` output (or its metrics.json) to publish as model-index.",
)
@click.option(
    "--metrics-dataset", default=None, help="Name of the data set --metrics were measured on."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def push_command(
    path, repo_id, to, model_id, message, private, metrics_path, metrics_dataset, as_json
) -> None:
    """Publish a checkpoint or a model folder with its config and model card.

    PATH is a checkpoint written by `zoo train` or a folder holding model.safetensors and
    config.yaml. The weights go up as safetensors with a README.md model card that lists the
    sha256 of every file; `zoo.load(ORG/NAME)` checks them on every load.
    """
    from zoo_core.api import push

    result = push(
        path,
        repo_id,
        to=to,
        model_id=model_id,
        commit_message=message,
        private=private,
        metrics=metrics_path,
        metrics_dataset=metrics_dataset,
    )
    if as_json:
        echo_json(result.__dict__)
    else:
        click.echo(f"Published {result.model_id} to {result.repo_id} on {result.source}")
        click.echo(f"  commit {result.commit}")
        for name, digest in result.files.items():
            click.echo(f"  {name}  sha256 {digest}")


@cli.command("download")
@click.argument("model_id")
@click.option("--revision", default=None, help="Commit, branch or tag to fetch.")
@click.option("--source", default=None, help=f"Hub to fetch from: {SOURCE_HELP}")
@click.option("--json", "as_json", is_flag=True, help="Print the files as JSON.")
def download_command(model_id, revision, source, as_json) -> None:
    """Fetch a model's published files into the cache ahead of use (checked by sha256)."""
    from zoo_core.api import download
    from zoo_core.shipped_weights import SOURCE_PREFIX

    fetched = download(model_id, revision=revision, source=source)
    shipped = fetched.source.startswith(SOURCE_PREFIX)
    if as_json:
        echo_json(
            {
                "model_id": model_id,
                "commit": fetched.commit,
                "source": fetched.source,
                "shipped": shipped,
                "files": dict(sorted(fetched.files.items())),
            }
        )
        return
    if shipped:
        folder = fetched.source.removeprefix(SOURCE_PREFIX)
        click.echo(f"{model_id}: the weights are installed with the package, nothing to download.")
        click.echo(f"  {folder} (every sha256 matches its card)")
        return
    click.echo(f"{model_id}@{fetched.commit} from {fetched.source}:")
    for name, path in sorted(fetched.files.items()):
        click.echo(f"  {name}: {path}")


@cli.command("ship")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False))
@click.option("--id", "model_id", required=True, help="The model id the checkpoint trains.")
@click.option("--repo-id", required=True, help="Where the weights will be published, ORG/NAME.")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder to write."
)
@click.option(
    "--card",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Model card to use (default: the registered card of --id).",
)
@click.option("--force", is_flag=True, help="Replace FOLDER if it exists.")
def ship_command(checkpoint, model_id, repo_id, out_dir, card, force) -> None:
    """Write the weights folder a plugin ships, from a `zoo train` checkpoint.

    FOLDER (e.g. zoo_mygan/weights/ID) gets model.safetensors (the generator's weights only,
    EMA when kept), config.yaml and a README.md card listing their sha256, written atomically.
    Register it with ModelSpec(..., weights="zoo_mygan:weights/ID").
    """
    from zoo_core.shipped_weights import ship

    result = ship(
        checkpoint, out_dir, repo_id=repo_id, model_id=model_id, card=card, overwrite=force
    )
    click.echo(f"Wrote {result.model_id} weights for {result.repo_id} to {result.folder}")
    for name, size in result.sizes.items():
        digest = result.files.get(name)
        click.echo(f"  {name}  {size / 2**20:.2f} MiB" + (f"  sha256 {digest}" if digest else ""))
