"""What 2D and patch-based models train on, cut from a volume.

* 2D slices along one axis, skipping slices that are (almost) all background;
* random patches, drawn from torch's RNG so a seeded run draws the same patches (the
  non-overlapping grid of blocks is :mod:`zoo_core.data.blocks`);
* resizing or centre crop/pad to ``data.spatial_size`` with MONAI transforms.

Arrays are channel-first torch tensors ``(C, *spatial)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from zoo_core.data.blocks import crop
from zoo_core.errors import ConfigError

#: A voxel is foreground when it differs from the background by more than this (2.5% of
#: the [-1, 1] range).
FOREGROUND_DELTA = 0.05


def background_value(volume: torch.Tensor) -> float:
    """The background level of a ``(C, *S)`` image: the median of its outer faces.

    Air clipped by a CT window sits at -1, but a skull-stripped atlas has 0 HU around the head
    and an MR background can be anywhere after normalisation: the border says which.
    """
    faces = []
    for axis in range(1, volume.ndim):
        faces += [volume.select(axis, 0).reshape(-1), volume.select(axis, -1).reshape(-1)]
    return float(torch.cat(faces).float().median())


def foreground_fraction(x: torch.Tensor, background: float = -1.0) -> float:
    """Share of values that differ from the ``background`` level."""
    return float(((x - background).abs() > FOREGROUND_DELTA).float().mean())


def take_slice(volume: torch.Tensor, axis: int, index: int) -> torch.Tensor:
    """``(C, X, Y, Z)`` -> the 2D ``(C, ., .)`` slice ``index`` along spatial ``axis``."""
    return volume.select(1 + axis, index)


def slice_indices(
    volume: torch.Tensor, axis: int = 2, skip_empty: bool = True, min_foreground: float = 0.01
) -> list[int]:
    """Indices of the slices along ``axis`` worth training on (all, or the non-empty ones)."""
    if volume.ndim != 4:
        raise ConfigError(
            f"2D slices need a 3D volume, got spatial shape {tuple(volume.shape[1:])}; use "
            "data.mode=images for 2D pictures."
        )
    count = volume.shape[1 + axis]
    if not skip_empty:
        return list(range(count))
    dims = [d for d in range(volume.ndim) if d != 1 + axis]
    background = background_value(volume)
    share = ((volume - background).abs() > FOREGROUND_DELTA).float().mean(dim=dims)
    return [i for i in range(count) if float(share[i]) >= min_foreground]


def random_origin(
    shape: Sequence[int], size: Sequence[int], generator: torch.Generator | None = None
) -> tuple[int, ...]:
    """A uniformly drawn patch corner that keeps the patch inside the volume where it fits."""
    origin = []
    for s, p in zip(shape, size, strict=True):
        high = max(int(s) - int(p), 0) + 1
        origin.append(int(torch.randint(high, (1,), generator=generator)))
    return tuple(origin)


def random_patch(
    volume: torch.Tensor, size: Sequence[int], generator: torch.Generator | None = None
) -> torch.Tensor:
    return crop(volume, random_origin(volume.shape[1:], size, generator), size)


def fit_to_size(
    x: torch.Tensor,
    spatial_size: Sequence[int],
    method: str = "resize",
    *,
    label: bool = False,
    pad_value: float = -1.0,
) -> torch.Tensor:
    """Bring ``(C, *S)`` to ``spatial_size``: ``resize`` (interpolate) or ``crop`` (centre
    crop/pad with ``pad_value``, keeping the voxel size). Label maps use nearest neighbour,
    never blending (pass ``pad_value=0``, the background class, for them)."""
    from monai.transforms import Resize, ResizeWithPadOrCrop

    size = [int(s) for s in spatial_size]
    if not size or list(x.shape[1:]) == size:
        return x
    if len(size) != x.ndim - 1:
        raise ConfigError(
            f"data.spatial_size {size} has {len(size)} axes but the images have "
            f"{x.ndim - 1} (shape {tuple(x.shape[1:])})."
        )
    dtype = x.dtype
    x = x.float()
    if method == "crop":
        out = ResizeWithPadOrCrop(size, mode="constant", value=pad_value)(x)
    elif method == "resize":
        if label:
            out = Resize(size, mode="nearest")(x)
        else:
            mode = "bilinear" if len(size) == 2 else "trilinear"
            out = Resize(size, mode=mode, anti_aliasing=True)(x)
    else:
        raise ConfigError(f"data.size_mode must be 'resize' or 'crop', not {method!r}.")
    out = out.as_tensor() if hasattr(out, "as_tensor") else torch.as_tensor(out)
    return out.round().to(dtype) if label else out.to(dtype)
