"""Writing what the progressive GAN makes: image and segmentation channels apart, strips.

Files are written with zoo_core.io: every PNG carries ``Synthetic: true`` and a provenance
record in its text chunks, so a synthetic image cannot pass for a real one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from zoo_core.generation import OutputGroup


def provenance(model: Any, seed: int | None, command: str, **extra: Any) -> dict[str, Any]:
    """zoo_core's provenance record (synthetic flag, model, weights, versions) for a file."""
    from zoo_core import io as zio

    return zio.provenance_record(model, seed=seed, extra={"command": command, **extra})


def output_groups(model: Any) -> list[OutputGroup]:
    """The model's outputs as channel index groups, from its config (a checkpoint trained
    with other channels than its card's still splits right): the image channels, then the
    segmentation channels if it makes any."""
    n_image = len(model.image_channels)
    groups = [OutputGroup("image", list(model.image_channels), list(range(n_image)))]
    if model.segmentation_channels:
        segmentation = list(model.segmentation_channels)
        index = list(range(n_image, model.channels))
        groups.append(OutputGroup("segmentation", segmentation, index))
    return groups


def write_samples(
    model: Any, images: torch.Tensor, out_dir: str | Path, fmt: str = "png", seed: int | None = None
) -> list[Path]:
    """Each sample's outputs apart: ``sample_NNN_image[_<channel>].png`` and
    ``sample_NNN_segmentation_<channel>.png`` (or NIfTI), written by zoo_core's
    :class:`~zoo_core.generation.SampleWriter`, so every file is marked synthetic and carries
    provenance; ``provenance.json`` goes beside them."""
    from zoo_core.generation import SampleWriter

    extra = {"command": "zoo pggan generate", "format": fmt}
    writer = SampleWriter(
        model, Path(out_dir), fmt, seed=seed, extra=extra, groups=output_groups(model)
    )
    stems = [f"sample_{i:03d}" for i in range(len(images))]
    return writer.write_all(images.detach().cpu().float(), stems)


def save_montage(
    model: Any, images: torch.Tensor, path: str | Path, seed: int | None = None
) -> Path:
    """zoo_core's montage grid: per sample, the image and each segmentation channel."""
    from zoo_core import io as zio

    return zio.save_montage(
        images,
        path,
        value_range=model.value_range,
        channel_names=model.image_channels + model.segmentation_channels,
    )


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation: intermediate latents keep the norm typical of N(0, I)."""
    a_n, b_n = a / a.norm(), b / b.norm()
    omega = torch.arccos((a_n * b_n).sum().clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    t = t[:, None]
    return (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b


@torch.no_grad()
def interpolation_strip(model: Any, seeds: tuple[int, int], steps: int) -> torch.Tensor:
    """(steps, C, H, W): the generator along the great circle between two seeds' latents."""
    if steps < 2:
        raise ValueError("an interpolation needs at least 2 steps")
    device = model.device
    ends = []
    for seed in seeds:
        rng = torch.Generator(device=device)
        rng.manual_seed(int(seed))
        ends.append(torch.randn(model.latent_dim, device=device, generator=rng))
    t = torch.linspace(0, 1, steps, device=device)
    z = slerp(ends[0], ends[1], t)
    was_training = model.training
    model.eval()
    try:
        images = model(z).clamp(-1, 1)
    finally:
        model.train(was_training)
    return images


def save_strip(
    model: Any, images: torch.Tensor, path: str | Path, record: dict[str, Any] | None = None
) -> Path:
    """A grid with one column per image and one row per channel group (RGB together, every
    other channel in grey), marked synthetic with zoo_core's PNG writer."""
    from PIL import Image

    from zoo_core.io.png import save_png

    names = [n.upper() for n in model.image_channels]
    rgb = names[:3] == ["R", "G", "B"]
    groups = [[0, 1, 2]] if rgb else []
    groups += [[k] for k in range(3 if rgb else 0, model.channels)]
    rows = []
    for idx in groups:
        part = images[:, idx].detach().float().cpu()
        if len(idx) == 1:
            part = part.expand(-1, 3, -1, -1)
        rows.append(torch.cat(list(part), dim=-1))  # (3, H, N * W)
    strip = ((torch.cat(rows, dim=-2).clamp(-1, 1) + 1) * 127.5).round().byte()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_png(Image.fromarray(strip.permute(1, 2, 0).numpy(), mode="RGB"), path, record)
