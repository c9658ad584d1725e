"""``zoo cgan3d ...``: the paper's evaluation table and whole-scan reconstruction."""

from __future__ import annotations

from pathlib import Path

import click

from zoo_core.plugin_api import device_option


def load_model(model_id: str, weights: str | None, untrained: bool, device: str, overrides=()):
    """The model from a training checkpoint of ``model_id`` (built with the config it was
    trained with), a bare weights file (the registered config), the hub, or untrained."""
    from zoo_core.plugin_api import (
        CHECKPOINT_FORMAT,
        ZooError,
        build,
        load,
        load_local,
        load_state_dict,
        model_config,
        read_metadata,
    )

    if weights is None:
        return load(model_id, pretrained=not untrained, device=device, overrides=list(overrides))
    path = Path(weights)
    if not path.is_file():
        raise ZooError(f"--weights {path} does not exist.")
    if read_metadata(path).get("format") == CHECKPOINT_FORMAT:
        return load_local(path, model_id=model_id, device=device, overrides=list(overrides))
    model = build("cgan3d", model_config(model_id, list(overrides)))
    model.load_state_dict(load_state_dict(path), strict=True)
    model.model_id = model_id
    return model.to(device).eval()


@click.group()
def cgan3d() -> None:
    """Mangalagiri et al.'s 3D conditional GAN on CT blocks."""


@cgan3d.command("prepare-headct")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--split-z",
    type=click.IntRange(min=1),
    help="Also write the axial slices below Z as OUT_DIR/train, the rest as OUT_DIR/test "
    "(a contiguous held-out slab), and OUT_DIR/other-heads with a scan of another source.",
)
@click.option(
    "--with-mri",
    is_flag=True,
    help="With --split-z: nilearn's MNI152 T1 as a second training source (its inferior slab "
    "in OUT_DIR/train, its superior slab held out in OUT_DIR/test-mri) and nibabel's T1 in "
    "OUT_DIR/other-heads instead of the MNI152.",
)
def prepare_headct(out_dir: Path, split_z: int | None, with_mri: bool) -> None:
    """Write the real head CT that totalsegmentator ships (HU, NIfTI) as OUT_DIR/head_ct.nii.gz:
    a folder `zoo train --data`, `zoo evaluate --real` and `zoo generate --condition` read.

    With --split-z the shipped weights' split is written too (they use --split-z 110).
    """
    if with_mri and split_z is None:
        raise click.UsageError("--with-mri splits the MRI sources too: pass --split-z as well.")
    from zoo_core.plugin_api import copy_shipped

    out = copy_shipped(out_dir, {"head_ct.nii.gz": "head_ct"})
    click.echo(f"wrote {out / 'head_ct.nii.gz'} (202x202x179, 1 mm, HU)")
    if split_z is not None:
        from zoo_cgan3d.headct import write_split

        for name, path in write_split(out / "head_ct.nii.gz", out, split_z, with_mri).items():
            click.echo(f"{name}: {path}")


_common = [
    click.argument("model_id"),
    click.option("--weights", type=click.Path(dir_okay=False), help="Checkpoint from zoo train."),
    click.option("--untrained", is_flag=True, help="Use the untrained architecture (smoke test)."),
    click.option(
        "--mode",
        type=click.Choice(["sliding", "blocks"]),
        default="sliding",
        show_default=True,
        help="Blended overlapping blocks, or the paper's tiling.",
    ),
    click.option("--overlap", type=float, default=0.5, show_default=True),
    click.option("--sw-batch-size", type=int, default=8, show_default=True),
    click.option("--seed", type=int, default=0, show_default=True),
    device_option(),
    click.option("--override", "overrides", multiple=True, help="Config dotlist, repeatable."),
]


def common(func):
    for decorator in reversed(_common):
        func = decorator(func)
    return func


@cgan3d.command()
@common
@click.option("--data", required=True, type=click.Path(exists=True), help="Clean CT scan(s).")
@click.option(
    "--region-hu",
    nargs=2,
    type=float,
    default=None,
    help="HU interval of the region mask [default: the config's data.region_hu].",
)
@click.option("--max-scans", type=int, default=0, help="Evaluate at most this many scans.")
@click.option(
    "--montage",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PNG of the first scan's middle slice: condition, baseline, cGAN, clean.",
)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
def evaluate(
    model_id,
    weights,
    untrained,
    mode,
    overlap,
    sw_batch_size,
    seed,
    device,
    overrides,
    data,
    region_hu,
    max_scans,
    montage,
    json_path,
):
    """Tables I/II of the paper: PSNR/SSIM of the condition and of the output, per scan;
    then the whole-scan comparison with the simple methods a user would pick instead."""
    import json

    from rich.console import Console

    from zoo_cgan3d.evaluate import (
        comparison_markdown,
        evaluate_folder,
        metrics_record,
        results_table,
    )

    model = load_model(model_id, weights, untrained, device, overrides)
    data_cfg = model.config.data
    region = tuple(region_hu) if region_hu else tuple(data_cfg.region_hu)
    results = evaluate_folder(
        model,
        data,
        max_scans,
        region_hu=region,
        mode=mode,
        overlap=overlap,
        sw_batch_size=sw_batch_size,
        seed=seed,
        montage=montage,
    )
    name = f"region {region[0]:g}..{region[1]:g} HU"
    Console().print(results_table(results, model.task, name))
    click.echo(comparison_markdown(results, name))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(metrics_record(model, results, region), indent=2))


@cgan3d.command("reconstruct")
@common
@click.option(
    "--condition",
    required=True,
    type=click.Path(exists=True),
    help="Condition CT (NIfTI or DICOM folder), e.g. a noisy scan for denoise.",
)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output folder.")
def reconstruct_command(
    model_id,
    weights,
    untrained,
    mode,
    overlap,
    sw_batch_size,
    seed,
    device,
    overrides,
    condition,
    out,
):
    """Reconstruct a whole scan block by block; writes <name>_synthetic.nii.gz in HU."""
    from zoo_cgan3d.reconstruct import reconstruct
    from zoo_cgan3d.volumes import read_volume
    from zoo_cgan3d.writers import write_synthetic_nifti

    model = load_model(model_id, weights, untrained, device, overrides)
    volume = read_volume(condition)
    result = reconstruct(
        model,
        volume.hu,
        mode=mode,
        overlap=overlap,
        sw_batch_size=sw_batch_size,
        seed=seed,
        inplace=True,  # the HU scan is not needed again: normalise it in its own memory
    )
    path = write_synthetic_nifti(
        result.hu, volume.affine, Path(out), Path(condition), model_id, result.transform
    )
    click.echo(str(path))
