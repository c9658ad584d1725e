"""``zoo cyclegan prepare-data`` (the shipped weights' brain MR / brain CT data) and
``zoo cyclegan montage`` (a picture of a translation).

Only click and the plugin API are imported here; torch waits inside each command, so that
``zoo --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from zoo_core.plugin_api import device_option


@click.group("cyclegan")
def cyclegan() -> None:
    """Unpaired MR <-> CT translation (Zhu et al. 2017, Hiasa et al. 2018): data, pictures."""


@cyclegan.command("prepare-data")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
def prepare_data(out_dir: Path) -> None:
    """Write brain MR and brain CT from two real heads that installed packages ship, split
    into OUT_DIR/train and OUT_DIR/test (the superior slab of each brain, held out).

    \b
    domain_a/: nilearn's MNI152 T1 (brain-extracted), in [0, 1]
    domain_b/: TotalSegmentator's head CT atlas (brain), in HU, air outside
    Each brain is resampled in-plane to span 112 of 128 pixels (see zoo_cyclegan.mrct).

    \b
    Example:
      zoo cyclegan prepare-data data/mrct
      zoo train zhu-cyclegan-mrct --data data/mrct/train
      zoo evaluate zhu-cyclegan-mrct --real data/mrct    # Dice, HU distance, cycle PSNR
    """
    from zoo_cyclegan.mrct import write_mr_ct_split

    for name, path in write_mr_ct_split(out_dir).items():
        click.echo(f"{name}: {path}")


@cyclegan.command("montage")
@click.argument("model_ref", metavar="MODEL")
@click.option(
    "--real",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder with train/ and test/ parts (zoo cyclegan prepare-data); the held-out "
    "test/ slabs are shown.",
)
@click.option("--out", "out_png", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rows", default=4, show_default=True, help="Held-out MR slices, one per row.")
@click.option("--untrained", is_flag=True, help="The architecture with random weights.")
@device_option()
def montage(model_ref: str, real: Path, out_png: Path, rows: int, untrained: bool, device: str):
    """Picture a translation: per row, a held-out MR slice, its synthetic CT, the MR cycled
    back, and the real held-out CT slice at the same level.

    \b
    Example:
      zoo cyclegan montage zhu-cyclegan-mrct --real data/mrct --out montage.png
    """
    import zoo_core as zoo
    from zoo_cyclegan.evaluation import translation_montage

    model = zoo.load(model_ref, pretrained=not untrained, device=device)
    click.echo(translation_montage(model, real, out_png, rows=rows))
