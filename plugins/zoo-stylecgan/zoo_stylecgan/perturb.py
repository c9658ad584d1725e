"""Boundary perturbation of region maps: new anatomy from an existing map (contribution 3).

Krishna & Mueller propose perturbing the boundaries of a segmentation map to generate more
anatomical variation, with the per-organ style transfer making the perturbed regions look
right. A smooth random displacement field (MONAI's ``Rand2DElastic``: Gaussian offsets on a
coarse control grid, interpolated bicubically) moves the boundaries; resampling with nearest
neighbour keeps every pixel one of the map's own classes, so no new label appears and no
region is blurred into another.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from zoo_core.plugin_api import DataError


def default_strength(size: int) -> tuple[float, float]:
    """(control-point spacing, displacement scale) in pixels for a ``size``-pixel slice.

    A spacing of 1/8 of the slice moves organs rather than pixels; a scale of 1/64 of the
    slice (8 px at 512) keeps them recognisable.
    """
    return max(size / 8.0, 4.0), max(size / 64.0, 1.0)


def perturb_map(
    index_map: Any,
    seed: int,
    *,
    spacing: float | None = None,
    magnitude: float | None = None,
) -> torch.Tensor:
    """A smoothly deformed copy of a class-index map ``(H, W)``, ``(1, H, W)`` or ``(N, 1, H, W)``.

    ``spacing`` is the control grid's spacing and ``magnitude`` the standard deviation of the
    control points' displacement, both in pixels (defaults: :func:`default_strength`). The same
    ``seed`` gives the same deformation; a batch gets one deformation per map (seed, seed+1..).
    """
    from monai.transforms import Rand2DElastic

    maps = torch.as_tensor(index_map)
    if maps.is_floating_point() and not torch.equal(maps, maps.round()):
        raise DataError("perturb_map needs a map of class indices, not continuous values.")
    shape = maps.shape
    if maps.ndim == 2:
        batch = maps[None, None]
    elif maps.ndim == 3 and shape[0] == 1:
        batch = maps[None]
    elif maps.ndim == 4 and shape[1] == 1:
        batch = maps
    else:
        raise DataError(f"perturb_map needs (H, W), (1, H, W) or (N, 1, H, W), got {tuple(shape)}.")
    size = min(batch.shape[-2:])
    default_spacing, default_magnitude = default_strength(size)
    spacing = float(spacing or default_spacing)
    magnitude = float(default_magnitude if magnitude is None else magnitude)
    out = []
    for k, single in enumerate(batch):
        warp = Rand2DElastic(
            spacing=(spacing, spacing),
            magnitude_range=(magnitude, magnitude),
            prob=1.0,
            mode="nearest",
            padding_mode="border",
        )
        warp.set_random_state(seed=int(np.uint32((int(seed) + k) & 0xFFFFFFFF)))
        warped = warp(single.float().cpu())
        warped = warped.as_tensor() if hasattr(warped, "as_tensor") else torch.as_tensor(warped)
        out.append(warped.round().to(maps.dtype))
    result = torch.stack(out).to(maps.device)
    return result.reshape(shape)
