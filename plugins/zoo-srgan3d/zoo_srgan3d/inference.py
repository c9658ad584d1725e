"""Whole-volume super-resolution: the core's sliding windows, and the output's geometry.

The generator is fully convolutional, so any volume could go through it at once, but its
activations grow with the volume (``gen_filters`` features at up to s^3 times the input's
voxels). :func:`zoo_core.generation.infer_volume` runs it on ``block_size``^3 windows, blended
where they overlap, so memory stays bounded; it also notices that the output windows are
``scale_factor`` times larger and stitches an up-sampled volume.

Geometry: low-resolution voxel ``i`` covers the high-resolution voxels ``s*i .. s*i + s - 1``
(the convention of the generator's tile replication and of :mod:`zoo_srgan3d.degrade`), so
high-resolution voxel ``j`` sits at low-resolution voxel coordinate ``(j - (s - 1) / 2) / s``:
the spacing is divided by ``s`` and the field of view is kept exactly. That is the core's
:func:`zoo_core.generation.output_affine`, which ``zoo generate`` uses for NIfTI outputs too,
so both paths give the same geometry (the tests check it against this formula).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from zoo_core.plugin_api import DataError

if TYPE_CHECKING:
    from zoo_srgan3d.model import SRGAN3D


def sliding_window(model: SRGAN3D, condition: torch.Tensor) -> torch.Tensor:
    """The generator over a (N, C, d, h, w) batch, window by window, as a (N, C, sd, sh, sw)."""
    from zoo_core.plugin_api import infer_volume

    outputs = [
        infer_volume(
            model,
            volume,
            model.block_size,
            overlap=model.inference_overlap,
            sw_batch_size=model.sw_batch_size,
            mode=model.inference_mode,
            margin=model.inference_margin,
            device=condition.device,
        )
        for volume in condition
    ]
    return torch.stack(outputs).to(condition.device)


def super_resolve(
    model: SRGAN3D,
    volume: np.ndarray | torch.Tensor,
    affine: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Super-resolve one volume and give the affine of the result.

    ``volume`` is (D, H, W) or (C, D, H, W) in the model's value range ([-1, 1]; the core's MR
    normalisation gives it); ``affine`` is its 4x4 voxel-to-world matrix. Returns the
    up-sampled volume in the same layout (float32) and its affine: voxel spacing divided by
    ``model.scale_factor``, same field of view.
    """
    from zoo_core.plugin_api import output_affine

    tensor = volume if torch.is_tensor(volume) else torch.as_tensor(np.asarray(volume))
    if tensor.ndim not in (3, 4):
        raise DataError(
            f"expected a (D, H, W) or (C, D, H, W) volume, got shape {tuple(tensor.shape)}"
        )
    squeeze = tensor.ndim == 3
    batch = tensor.float()[None, None] if squeeze else tensor.float()[None]
    out = model.generate(condition=batch.to(model.device))[0]
    new_affine = None
    if affine is not None:
        new_affine = output_affine(affine, batch.shape[2:], out.shape[1:])
    out = out[0] if squeeze else out
    return out.cpu().numpy().astype(np.float32), new_affine
