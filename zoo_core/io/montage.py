"""A PNG grid of samples for a quick look (``zoo generate --montage``), marked synthetic."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zoo_core.errors import DataError
from zoo_core.io.common import RGB, channel_names_for, to_unit
from zoo_core.io.png import save_png


def _tile(image: np.ndarray, names: list[str]) -> np.ndarray:
    """``(C, H, W)`` in [0, 1] -> ``(3, H, W * groups)``: RGB where R, G, B are, each other
    channel in gray beside it."""
    upper = [n.upper() for n in names]
    parts, used = [], set()
    for i in range(len(names) - 2):
        if tuple(upper[i : i + 3]) == RGB:
            parts.append(image[i : i + 3])
            used.update((i, i + 1, i + 2))
            break
    parts += [np.repeat(image[i : i + 1], 3, 0) for i in range(len(names)) if i not in used]
    return np.concatenate(parts, axis=2)


def save_montage(
    images: Any,
    path: str | Path,
    *,
    value_range: Sequence[float],
    nrow: int | None = None,
    labels: Sequence[str] | None = None,
    channel_names: Sequence[str] | None = None,
) -> Path:
    """Write ``(N, C, *spatial)`` samples as one PNG grid; 3D samples show their middle
    slice along the last (axial) axis. ``labels`` are drawn on the tiles."""
    import torch
    from PIL import Image, ImageDraw
    from torchvision.utils import make_grid

    batch = np.asarray(images.detach().cpu().float() if hasattr(images, "detach") else images)
    if batch.ndim == 5:
        batch = batch[..., batch.shape[-1] // 2]
    if batch.ndim != 4 or batch.shape[0] == 0:
        raise DataError(f"a montage needs (N, C, H, W) or (N, C, X, Y, Z), got {batch.shape}.")
    if labels is not None and len(labels) != batch.shape[0]:
        raise DataError(f"{len(labels)} labels for {batch.shape[0]} images.")
    names = channel_names_for(batch.shape[1], channel_names)
    unit = to_unit(batch.astype(np.float64), value_range)
    tiles = torch.from_numpy(np.stack([_tile(im, names) for im in unit]))
    nrow = nrow or int(np.ceil(np.sqrt(len(tiles))))
    pad = 2
    grid = make_grid(tiles, nrow=nrow, padding=pad, pad_value=1.0)
    pixels = (grid.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
    picture = Image.fromarray(pixels, mode="RGB")
    if labels is not None:
        draw = ImageDraw.Draw(picture)
        height, width = tiles.shape[2] + pad, tiles.shape[3] + pad
        for n, text in enumerate(labels):
            row, col = divmod(n, nrow)
            corner = (col * width + pad + 2, row * height + pad + 1)
            draw.text(corner, str(text), fill=(255, 255, 0))
    return save_png(picture, Path(path), {"montage": True, "count": int(batch.shape[0])})
