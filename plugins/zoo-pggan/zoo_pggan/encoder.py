"""The latent encoder of Beers et al. (sec. 3, 4.3-4.4): images -> the generator's latent space.

It has the critic's architecture at full resolution and ends in a ``latent_dim`` vector. It is
trained without growing, on synthetic images only: draw z, make G(z), and regress z with a
mean-squared error. Real images encoded this way can be plotted (t-SNE, Fig. 5) or fed back
to the generator to find their approximate nearest synthetic neighbours (Fig. 4).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from zoo_core.plugin_api import ConfigError, DataError, latent


def _optimizer(params: list[torch.nn.Parameter], opt_cfg: Any) -> torch.optim.Optimizer:
    name = str(opt_cfg.name)
    if name == "adam":
        return torch.optim.Adam(params, lr=opt_cfg.lr, betas=tuple(opt_cfg.betas), eps=opt_cfg.eps)
    if name == "adamw":
        return torch.optim.AdamW(
            params,
            lr=opt_cfg.lr,
            betas=tuple(opt_cfg.betas),
            eps=opt_cfg.eps,
            weight_decay=opt_cfg.weight_decay,
        )
    raise ConfigError(f"train.optimizer_e.name {name!r}: the encoder trains with adam or adamw.")


def train_encoder(
    model: Any,
    steps: int,
    batch_size: int,
    optimizer_cfg: Any,
    *,
    seed: int = 0,
    log: Callable[[int, float], None] | None = None,
    log_every: int = 100,
) -> list[float]:
    """Train ``model.encoder`` to recover z from G(z); returns the loss of every step.

    The generator is frozen and run at its current level (nearest-upsampled to the encoder's
    resolution if it was not grown to the end).
    """
    if model.encoder is None:
        raise ConfigError("the model was built with model.encoder=false; there is no encoder.")
    device = model.device
    rng = torch.Generator(device=device)
    rng.manual_seed(int(seed))
    opt = _optimizer(model.encoder_parameters(), optimizer_cfg)
    model.generator.requires_grad_(False)
    model.encoder.train()
    losses = []
    try:
        for step in range(int(steps)):
            z = latent(batch_size, model.latent_dim, device, rng)
            with torch.no_grad():
                images = model(z)
            loss = F.mse_loss(model.encode(images), z)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            if log is not None and (step + 1) % log_every == 0:
                log(step + 1, float(np.mean(losses[-log_every:])))
    finally:
        model.generator.requires_grad_(True)
    return losses


@torch.no_grad()
def encode(model: Any, images: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
    """Latent vectors (N, latent_dim) for images (N, C, H, W) in [-1, 1].

    ``C`` is the model's image channels, or image + segmentation channels; a missing
    segmentation is filled with -1 (background), since the encoder was trained on both.
    """
    if images.ndim != 4:
        raise DataError(f"encode() takes (N, C, H, W) images, got shape {tuple(images.shape)}")
    if images.shape[1] == len(model.image_channels) and model.segmentation_channels:
        pad = images.new_full(
            (images.shape[0], len(model.segmentation_channels), *images.shape[2:]), -1.0
        )
        images = torch.cat([images, pad], dim=1)
    if images.shape[1] != model.channels:
        raise DataError(
            f"images have {images.shape[1]} channels; the model takes {model.channels} "
            f"({', '.join(model.image_channels + model.segmentation_channels)})."
        )
    was_training = model.training
    model.eval()
    try:
        out = [
            model.encode(chunk.to(model.device)).cpu()
            for chunk in torch.split(images.float(), batch_size)
        ]
    finally:
        model.train(was_training)
    return torch.cat(out)


def read_labels(path: str | Path) -> dict[str, str]:
    """``name,label`` rows (a header naming the columns is required)."""
    path = Path(path)
    try:
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            fields = reader.fieldnames or []
            if "name" not in fields or len(fields) < 2:
                raise DataError(
                    f"{path} must have a header 'name,label' (the image stem, a label)."
                )
            column = "label" if "label" in fields else next(f for f in fields if f != "name")
            return {row["name"]: row[column] for row in reader}
    except OSError as exc:
        raise DataError(f"cannot read labels file {path}: {exc.strerror}") from None


def tsne_plot(
    latents: np.ndarray,
    labels: list[str],
    out: str | Path,
    title: str = "",
    seed: int = 0,
) -> np.ndarray:
    """Project latents to 2-D with t-SNE and save a scatter plot coloured by label (Fig. 5)."""
    from zoo_core.plugin_api import import_optional

    needed_for = "the t-SNE plot of `zoo pggan encode`"
    matplotlib = import_optional("matplotlib", extra="zoo-pggan[data]", needed_for=needed_for)
    manifold = import_optional("sklearn.manifold", extra="zoo-pggan[data]", needed_for=needed_for)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(latents)
    if n < 3:
        raise DataError(f"t-SNE needs at least 3 images, got {n}.")
    perplexity = float(min(30.0, max(1.0, (n - 1) / 3)))
    points = manifold.TSNE(
        n_components=2, perplexity=perplexity, init="pca", random_state=seed
    ).fit_transform(np.asarray(latents, dtype=np.float64))
    fig, ax = plt.subplots(figsize=(6, 5), dpi=120)
    for value in sorted(set(labels)):
        idx = [i for i, label in enumerate(labels) if label == value]
        ax.scatter(points[idx, 0], points[idx, 1], s=14, label=value)
    ax.legend(title="label", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or "t-SNE of encoded latent vectors")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return points
