"""``zoo mgan``: pictures of what the texture model does to held-out slices."""

from __future__ import annotations

from pathlib import Path

import click

from zoo_core.plugin_api import device_option


@click.group()
def mgan() -> None:
    """Markovian GAN (Li & Wand) tools."""


@mgan.command("montage")
@click.argument("model_ref", metavar="MODEL")
@click.option(
    "--real",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A split folder (write_mni152(DIR, held_out=True); its held-out test/ part is shown) "
    "or a folder of volumes.",
)
@click.option("--out", "out_png", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rows", default=4, show_default=True, help="Slices, one per row.")
@click.option("--untrained", is_flag=True, help="The architecture with random weights.")
@device_option()
def montage(
    model_ref: str, real: Path, out_png: Path, rows: int, untrained: bool, device: str
) -> None:
    """Picture texture transfer: per row, a real slice blurred as in training, MGAN's rendering
    of it and the real slice, then the middle of each at twice the size.

    \b
    Example:
      zoo mgan montage li-mgan-mni152 --real data/mni152-split --out montage.png
    """
    import zoo_core as zoo
    from zoo_mgan.evaluation import texture_montage

    model = zoo.load(model_ref, pretrained=not untrained, device=device)
    click.echo(texture_montage(model, real, out_png, rows=rows))
