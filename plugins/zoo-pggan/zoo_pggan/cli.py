"""``zoo pggan ...``: data preparation, the latent encoder, interpolation and sample writing.

Only click is imported here; torch and friends are imported inside each command so that
``zoo --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from zoo_core.plugin_api import device_option

MODEL_HELP = "A model id, ORG/NAME repo, training checkpoint (.safetensors) or weights folder."


@click.group("pggan")
def pggan() -> None:
    """Progressive GANs (Beers et al. 2018): data, latent encoder, interpolation."""


@pggan.command("prepare-data")
@click.argument("dataset", type=click.Choice(["mni152", "fundus"]))
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--resolution", default=1, show_default=True, help="MNI152: 1 or 2 mm.")
@click.option("--size", default=512, show_default=True, help="Fundus: picture size in pixels.")
@click.option("--copies", default=16, show_default=True, help="Fundus: rotated/mirrored copies.")
@click.option(
    "--held-out",
    is_flag=True,
    help="MNI152: write OUT_DIR/train (the slab below world z = 0 mm) and OUT_DIR/test (the "
    "slab above it, to measure on), the split the zoo's MNI152 weights are trained and "
    "scored with.",
)
def prepare_data(
    dataset: str, out_dir: Path, resolution: int, size: int, copies: int, held_out: bool
) -> None:
    """Build a small real training set from images installed packages ship.

    \b
    mni152: MNI152 T1 + grey/white-matter maps (nilearn) -> `slices` layout
    fundus: scikit-image's retina + Sato pseudo vessel map -> `images` layout
    Both write OUT_DIR/labels.csv for `zoo pggan encode`.

    \b
    Example:
      zoo pggan prepare-data mni152 data/mni152
      zoo train beers-pggan-mni152 --data data/mni152
      zoo pggan prepare-data mni152 data/mni152-split --held-out   # train/ and test/
    """
    from zoo_pggan.prepare import prepare_fundus, prepare_mni152

    if dataset == "mni152":
        prepare_mni152(out_dir, resolution=resolution, held_out=held_out)
    elif held_out:
        raise click.UsageError("--held-out splits the MNI152 only (the fundus is one picture).")
    else:
        prepare_fundus(out_dir, size=size, copies=copies)
    click.echo(f"wrote {dataset} training data to {out_dir}")


@pggan.command("train-encoder")
@click.argument("model_ref", metavar="MODEL")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for model.safetensors + config.yaml (publish with `zoo push`).",
)
@click.option("--steps", type=int, default=None, help="Default: the config's train.encoder_steps.")
@click.option("--batch-size", type=int, default=None, help="Default: the final resolution's.")
@click.option("--seed", type=int, default=0, show_default=True)
@device_option()
def train_encoder_command(
    model_ref: str, out_dir: Path, steps, batch_size, seed: int, device: str
) -> None:
    """Train the latent encoder on G(z) with an MSE to z (non-progressive)."""
    from zoo_pggan.encoder import train_encoder
    from zoo_pggan.loading import open_model, save_folder
    from zoo_pggan.schedule import ProgressiveSchedule

    model = open_model(model_ref, device=device)
    train = model.config.train
    steps = int(steps if steps is not None else train.encoder_steps)
    if batch_size is None:
        schedule = ProgressiveSchedule.from_config(model.resolutions, model.start_level, train)
        batch_size = schedule.batch_size_for(model.resolution)
    model.train()

    def log(step: int, loss: float) -> None:
        click.echo(f"step {step}/{steps}  mse {loss:.4f}", err=True)  # progress: stderr

    losses = train_encoder(
        model,
        steps,
        batch_size,
        train.optimizer_e,
        seed=seed,
        log=log,
        log_every=max(1, min(train.log_every, steps)),
    )
    save_folder(model, out_dir)
    click.echo(f"encoder mse {losses[0]:.4f} -> {losses[-1]:.4f}; wrote {out_dir}")


@pggan.command("encode")
@click.argument("model_ref", metavar="MODEL")
@click.option(
    "--images",
    "data_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder in the layout of the model's training data (see its config's data:).",
)
@click.option(
    "--labels",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with name,label (image stem or SUBJECT_zNNN slice name) to colour by.",
)
@click.option("--out", "out_png", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--latents",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the latent vectors as CSV (name, label, z0..z127).",
)
@click.option(
    "--image-only",
    is_flag=True,
    help="The folder has no segmentation maps: encode the image channels alone.",
)
@device_option()
def encode_command(
    model_ref: str, data_dir: Path, labels, out_png: Path, latents, image_only: bool, device: str
) -> None:
    """Encode real images into latents and plot them with t-SNE (the paper's Fig. 5).

    Segmentation channels are read with the images (the encoder was trained on both); with
    --image-only they are left out and filled with background.
    """
    import copy
    import csv

    import torch

    from zoo_core.plugin_api import DataError
    from zoo_pggan.data import training_dataset
    from zoo_pggan.encoder import encode, read_labels, tsne_plot
    from zoo_pggan.loading import open_model

    model = open_model(model_ref, device=device)
    cfg = copy.deepcopy(model.config)
    if image_only:
        cfg.data.segmentation = False
    dataset = training_dataset(cfg.data, data_dir)
    images = torch.stack([dataset[i]["target"] for i in range(len(dataset))])
    names = list(dataset.names)
    codes = encode(model, images).numpy()
    if labels is not None:
        table = read_labels(labels)
        missing = [n for n in names if n not in table]
        if len(missing) == len(names):
            raise DataError(f"no image name of {data_dir} (e.g. {names[0]}) is in {labels}.")
        label_list = [table.get(n, "unlabelled") for n in names]
    else:
        label_list = ["all"] * len(names)
    tsne_plot(
        codes, label_list, out_png, title=f"{model.model_id or model_ref}: encoded {data_dir.name}"
    )
    if latents is not None:
        with open(latents, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["name", "label", *[f"z{i}" for i in range(codes.shape[1])]])
            for name, label, code in zip(names, label_list, codes, strict=True):
                writer.writerow([name, label, *[f"{v:.6f}" for v in code]])
    click.echo(f"encoded {len(names)} images; wrote {out_png}")


@pggan.command("interpolate")
@click.argument("model_ref", metavar="MODEL")
@click.option("--seeds", nargs=2, type=int, default=(1, 2), show_default=True)
@click.option("--steps", type=click.IntRange(min=2), default=8, show_default=True)
@click.option("--out", "out_png", required=True, type=click.Path(dir_okay=False, path_type=Path))
@device_option()
def interpolate_command(model_ref: str, seeds, steps: int, out_png: Path, device: str) -> None:
    """An image strip along the latent path between two seeds: one column per step, one row
    per channel group (RGB together; each MR modality and segmentation channel in grey)."""
    from zoo_pggan.loading import open_model
    from zoo_pggan.outputs import interpolation_strip, provenance, save_strip

    model = open_model(model_ref, device=device)
    images = interpolation_strip(model, tuple(seeds), steps)
    record = provenance(model, seeds[0], "zoo pggan interpolate", seeds=list(seeds), steps=steps)
    save_strip(model, images, out_png, record)
    click.echo(f"wrote {out_png} ({steps} steps, {model.resolution}x{model.resolution})")


@pggan.command("generate")
@click.argument("model_ref", metavar="MODEL")
@click.option("-n", "count", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["png", "nifti"]), default="png",
              show_default=True)  # fmt: skip
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@device_option()
def generate_command(
    model_ref: str, count: int, seed: int, fmt: str, out_dir: Path, device: str
) -> None:
    """Write N samples with image and segmentation channels in separate files, plus
    montage.png and provenance.json (also from checkpoints and weights folders)."""
    from zoo_pggan.loading import open_model
    from zoo_pggan.outputs import save_montage, write_samples

    model = open_model(model_ref, device=device)
    images = model.generate(n=count, seed=seed)
    written = write_samples(model, images, out_dir, fmt=fmt, seed=seed)
    save_montage(model, images, out_dir / "montage.png")
    click.echo(f"wrote {len(written)} files, montage.png and provenance.json to {out_dir}")
