"""``zoo stylecgan ...``: the demo data and region maps (heavy imports inside the functions).

Generation is the core's ``zoo generate ID --condition map.png --style style.png --perturb``:
the architecture adds those options (``zoo_stylecgan.options``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from zoo_core.plugin_api import device_option


@click.group("stylecgan")
def stylecgan() -> None:
    """Krishna & Mueller's per-organ style-transfer cGAN: demo data and region maps.

    Generate with `zoo generate krishna-stylecgan-ct --condition map.png --style style.png`.
    """


def load_model(
    model_id: str, checkpoint: Path | None, untrained: bool, device: str, source: str | None
) -> Any:
    """Published weights (zoo.load), a `zoo train` checkpoint of ``model_id``, or the untrained
    network."""
    from zoo_core.plugin_api import load, load_local

    if checkpoint is None:
        return load(model_id, pretrained=not untrained, device=device, source=source)
    return load_local(checkpoint, model_id=model_id, device=device)


@stylecgan.command("prepare-headct")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--every",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Keep every k-th axial slice.",
)
@click.option(
    "--split-z",
    type=click.IntRange(min=1),
    help="Write the slices below this axial index to OUT_DIR/train and the rest (a contiguous "
    "held-out slab) to OUT_DIR/test. The shipped weights use --split-z 110.",
)
@click.option(
    "--size",
    type=click.IntRange(min=8),
    help="Resize each slice to SIZE x SIZE before deriving its map, so that map and CT agree "
    "at the size a model trains at (the shipped weights use --size 128).",
)
def prepare_headct_command(
    out_dir: Path, every: int, split_z: int | None, size: int | None
) -> None:
    """Axial slices of TotalSegmentator's head CT (HU, NIfTI) + derived maps in OUT_DIR/maps."""
    from zoo_stylecgan.data import prepare_headct

    out = prepare_headct(out_dir, every=every, split_z=split_z, size=size)
    for folder in [out] if split_z is None else [out / "train", out / "test"]:
        count = len(list(folder.glob("*.nii.gz")))
        click.echo(f"wrote {count} slices and their region maps to {folder}")


@stylecgan.command("montage")
@click.argument("model_ref", metavar="MODEL")
@click.option(
    "--real",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder from `prepare-headct --split-z` (its held-out test/ slab is shown), or a "
    "folder of slices.",
)
@click.option("--out", "out_png", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rows", default=4, show_default=True, help="Held-out slices, one per row.")
@click.option(
    "--adapt-steps",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="Adam steps adapting G to each style slice (as zoo generate --style).",
)
@click.option("--untrained", is_flag=True, help="The architecture with random weights.")
@device_option()
def montage(
    model_ref: str, real: Path, out_png: Path, rows: int, adapt_steps: int, untrained: bool,
    device: str,
) -> None:  # fmt: skip
    """Picture held-out generation: per row, a held-out slice's region map, the real slice,
    the style slice (half the slab away) and the synthetic slice drawn for that map in that
    style, as `zoo evaluate` draws them.

    \b
    Example:
      zoo stylecgan montage krishna-stylecgan-headct --real data/headct --out montage.png
    """
    import zoo_core as zoo
    from zoo_stylecgan.evaluation import style_montage

    model = zoo.load(model_ref, pretrained=not untrained, device=device)
    click.echo(style_montage(model, real, out_png, rows=rows, adapt_steps=adapt_steps))


@stylecgan.command("regions")
@click.argument("ct", type=click.Path(exists=True, path_type=Path))
@click.option("--scheme", type=click.Choice(["body", "brain"]), default="body", show_default=True)
@click.option("--slice", "slice_index", type=int, help="Axial slice of a volume (default middle).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
def regions_command(ct: Path, scheme: str, slice_index: int | None, out_path: Path) -> None:
    """Derive the six-region map (gray 0..230 PNG) of a CT slice in HU (NIfTI or DICOM)."""
    import numpy as np
    from PIL import Image

    from zoo_core.plugin_api import read_image
    from zoo_stylecgan.config import LABEL_VALUES
    from zoo_stylecgan.regions import SCHEMES, proportions, region_map, to_gray
    from zoo_stylecgan.stylize import _slice

    array, meta = read_image(ct)
    if meta["format"] in ("png", "jpeg"):
        raise click.UsageError("regions need HU values: pass NIfTI or DICOM, not a picture.")
    labels = region_map(_slice(array, slice_index), scheme)[0]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(to_gray(labels, LABEL_VALUES).astype(np.uint8), mode="L").save(out_path)
    shares = proportions(labels)
    names = SCHEMES[scheme].names
    click.echo(", ".join(f"{name} {share:.1%}" for name, share in zip(names, shares, strict=True)))
