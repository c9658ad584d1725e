"""``zoo srgan3d ...``: the plugin's own commands (heavy imports inside the commands)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from zoo_core.plugin_api import device_option


@click.group("srgan3d")
def srgan3d() -> None:
    """The 3D SRGAN of Sánchez & Vilaplana: evaluation against interpolation, demo data."""


@srgan3d.command("mni152")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
def mni152_command(out_dir: Path) -> None:
    """Write the MNI152 T1 template (shipped by nilearn) as OUT_DIR/{train,test}/*.nii.gz."""
    from zoo_srgan3d.mni152 import write_mni152

    for split, path in write_mni152(out_dir).items():
        click.echo(f"{split}: {path}")


@srgan3d.command("evaluate")
@click.argument("model_id")
@click.option(
    "--data",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of high-resolution volumes (NIfTI files or DICOM series folders).",
)
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A training checkpoint written by `zoo train` (instead of the published weights).",
)
@click.option("--untrained", is_flag=True, help="Evaluate the freshly initialised architecture.")
@click.option("--source", help="Where weights come from: 'hf' or 'dir:PATH' (default $ZOO_HUB).")
@click.option("--limit", type=click.IntRange(min=1), help="Evaluate only the first N volumes.")
@device_option()
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--montage",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PNG of the first volume's middle slice: input, tricubic, model, original.",
)
def evaluate_command(
    model_id: str,
    data: Path,
    checkpoint: Path | None,
    untrained: bool,
    source: str | None,
    limit: int | None,
    device: str,
    json_path: Path | None,
    montage: Path | None,
) -> None:
    """PSNR/SSIM of MODEL_ID's super-resolution vs trilinear and tricubic up-sampling.

    MODEL_ID is a registered id or a published repo (ORG/NAME, see `zoo push`).
    Each volume is degraded as in training (the model's config), then up-sampled by the
    model and by both interpolations; the table shows means over the volumes.
    """
    from zoo_srgan3d.evaluate import evaluate_folder, markdown_table
    from zoo_srgan3d.loading import load_model

    model = load_model(
        model_id, checkpoint=checkpoint, untrained=untrained, source=source, device=device
    )
    results = evaluate_folder(model, data, limit=limit, montage=montage)
    click.echo(
        f"{model_id}: x{results['scale_factor']} super-resolution of {results['volumes']} "
        f"volume(s), degradation {results['degradation']}, [-1, 1] data range"
    )
    click.echo(markdown_table(results))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=2))
        click.echo(f"wrote {json_path}", err=True)
    if montage is not None:
        click.echo(f"wrote {montage}", err=True)
