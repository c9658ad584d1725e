"""``zoo stylecgan ...``: generation with a style image and boundary perturbation, demo data.

The core's ``zoo generate`` has no --style and reads conditions through the CT window, so
the style cGAN has its own command (heavy imports stay inside the functions).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

FORMATS = ("png", "nifti", "dicom")


@click.group("stylecgan")
def stylecgan() -> None:
    """Krishna & Mueller's per-organ style-transfer cGAN: maps, styles, demo data."""


def load_model(
    model_id: str, checkpoint: Path | None, untrained: bool, device: str, source: str | None
) -> Any:
    """Published weights (zoo.load), a `zoo train` checkpoint, or the untrained network."""
    import tempfile

    import torch

    from zoo_core import api, cards
    from zoo_core import checkpoint as ckpt
    from zoo_core import config as zoo_config
    from zoo_core.errors import ZooError
    from zoo_core.registry import get_registry

    if checkpoint is None:
        return api.load(model_id, pretrained=not untrained, device=device, source=source)
    groups, info = ckpt.read(checkpoint)
    if info["model_id"] != model_id:
        raise ZooError(f"{checkpoint} is a checkpoint of {info['model_id']!r}, not {model_id!r}.")
    spec = api.model_spec(model_id)
    arch = get_registry().architecture(spec.architecture)
    with tempfile.TemporaryDirectory(prefix="zoo-stylecgan-") as tmp:
        config_path = Path(tmp) / "config.yaml"
        config_path.write_text(info["config"])
        cfg = zoo_config.load(arch, config_path)
    model = api.build(spec.architecture, cfg)
    model.load_state_dict(ckpt.inference_weights(groups), strict=True)
    model.model_id = model_id
    model.card = cards.read(spec.card_path())
    model.weights_info = {"checkpoint": str(checkpoint), "pretrained": True}
    return model.to(torch.device(device)).eval()


@stylecgan.command("generate")
@click.argument("model_id")
@click.option(
    "--condition",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Region map: PNG with gray values 0,50,...,230 (or class indices), or NIfTI.",
)
@click.option(
    "--style",
    type=click.Path(exists=True, path_type=Path),
    help="Style CT slice x_s: NIfTI/DICOM in HU, or PNG drawn in the model's window.",
)
@click.option(
    "--style-map",
    type=click.Path(exists=True, path_type=Path),
    help="The style slice's region map (default: derived from its HU values).",
)
@click.option(
    "--content",
    type=click.Path(exists=True, path_type=Path),
    help="The CT the map was drawn from (x_o), the content target while adapting.",
)
@click.option("--perturb", is_flag=True, help="Deform the map's boundaries per sample.")
@click.option(
    "--perturb-magnitude",
    type=click.FloatRange(min=0),
    help="Displacement scale in pixels (default resolution/64).",
)
@click.option("-n", "n", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--adapt-steps",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="Adam steps adapting G to --style (0: no adaptation).",
)
@click.option("--lr", type=float, help="Adaptation learning rate (default train.optimizer_g.lr).")
@click.option(
    "--format",
    "formats",
    type=click.Choice(FORMATS),
    multiple=True,
    default=FORMATS,
    show_default=True,
    help="Repeat for several formats.",
)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A training checkpoint from `zoo train` instead of published weights.",
)
@click.option("--untrained", is_flag=True, help="The freshly initialised network (no weights).")
@click.option(
    "--vgg-weights",
    type=click.Path(exists=True, dir_okay=False),
    help="VGG-19 ImageNet weights (safetensors) for the style adaptation.",
)
@click.option(
    "--allow-random-vgg",
    is_flag=True,
    help="Adapt with a randomly initialised VGG-19 when no weights are found (demo).",
)
@click.option("--source", help="Where published weights come from: 'hf' or 'dir:PATH'.")
@click.option("--device", default="cpu", show_default=True)
def generate_command(
    model_id: str,
    condition: Path,
    style: Path | None,
    style_map: Path | None,
    content: Path | None,
    perturb: bool,
    perturb_magnitude: float | None,
    n: int,
    seed: int,
    adapt_steps: int,
    lr: float | None,
    formats: tuple[str, ...],
    out_dir: Path,
    checkpoint: Path | None,
    untrained: bool,
    vgg_weights: str | None,
    allow_random_vgg: bool,
    source: str | None,
    device: str,
) -> None:
    """CT slices for the map --condition, in the style of --style, written to --out.

    Writes sample_NNN.png (the HU window), .nii.gz and .dcm (HU), the perturbed maps
    map_NNN.png (with --perturb), montage.png (map | style | result per sample) and
    provenance.json; every file is marked synthetic.

    \b
    Examples:
      zoo stylecgan prepare-headct data/headct
      zoo stylecgan generate krishna-stylecgan-headct --checkpoint runs/x/checkpoints/... \\
        --condition data/headct/maps/headct_z080.png --style data/headct/headct_z110.nii.gz \\
        --perturb --out out/stylecgan
    """
    from zoo_stylecgan.generate import run_generate

    model = load_model(model_id, checkpoint, untrained, device, source)
    summary = run_generate(
        model,
        condition=condition,
        style=style,
        style_map=style_map,
        content=content,
        perturb=perturb,
        perturb_magnitude=perturb_magnitude,
        n=n,
        seed=seed,
        adapt_steps=adapt_steps,
        lr=lr,
        formats=formats,
        out_dir=out_dir,
        vgg_weights=vgg_weights,
        allow_random_vgg=allow_random_vgg,
        untrained=untrained,
    )
    click.echo(summary)


@stylecgan.command("prepare-headct")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--every",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Keep every k-th axial slice.",
)
def prepare_headct_command(out_dir: Path, every: int) -> None:
    """Axial slices of TotalSegmentator's head CT (HU, NIfTI) + derived maps in OUT_DIR/maps."""
    from zoo_stylecgan.data import prepare_headct

    out = prepare_headct(out_dir, every=every)
    count = len(list(out.glob("*.nii.gz")))
    click.echo(f"wrote {count} slices and their region maps to {out}")


@stylecgan.command("regions")
@click.argument("ct", type=click.Path(exists=True, path_type=Path))
@click.option("--scheme", type=click.Choice(["body", "brain"]), default="body", show_default=True)
@click.option("--slice", "slice_index", type=int, help="Axial slice of a volume (default middle).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
def regions_command(ct: Path, scheme: str, slice_index: int | None, out_path: Path) -> None:
    """Derive the six-region map (gray 0..230 PNG) of a CT slice in HU (NIfTI or DICOM)."""
    import numpy as np
    from PIL import Image

    from zoo_core.data import read_image
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
