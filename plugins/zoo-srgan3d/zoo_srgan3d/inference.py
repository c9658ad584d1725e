"""Whole-volume super-resolution: sliding windows over the low-resolution volume.

The generator is fully convolutional, so any volume could go through it at once, but its
activations grow with the volume (32 features at up to s^3 times the input's voxels). Windows
of ``block_size``^3 input voxels, blended where they overlap, keep memory bounded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from zoo_core.errors import DataError
from zoo_srgan3d.affine import upsampled_affine

if TYPE_CHECKING:
    from zoo_srgan3d.model import SRGAN3D


def sliding_window(model: SRGAN3D, condition: torch.Tensor) -> torch.Tensor:
    """The generator applied window by window; output ``scale_factor`` times larger per axis.

    Windows are clipped to the volume on each axis so that nothing is padded: a volume no
    larger than one window is then exactly one direct forward pass.
    """
    from monai.inferers import sliding_window_inference

    roi = [min(model.block_size, size) for size in condition.shape[2:]]
    return sliding_window_inference(
        condition,
        roi_size=roi,
        sw_batch_size=model.sw_batch_size,
        predictor=model.generator,
        overlap=model.inference_overlap,
        mode=model.inference_mode,
    )


def super_resolve(
    model: SRGAN3D,
    volume: np.ndarray | torch.Tensor,
    affine: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Super-resolve one volume and give the affine of the result.

    ``volume`` is (D, H, W) or (C, D, H, W) in the model's value range ([-1, 1]; the core's MR
    normalisation gives it); ``affine`` is its 4x4 voxel-to-world matrix. Returns the
    up-sampled volume in the same layout (float32) and its affine: voxel spacing divided by
    ``model.scale_factor``, origin moved so both cover the same field of view.
    """
    tensor = torch.as_tensor(np.asarray(volume) if not torch.is_tensor(volume) else volume)
    if tensor.ndim not in (3, 4):
        raise DataError(
            f"expected a (D, H, W) or (C, D, H, W) volume, got shape {tuple(tensor.shape)}"
        )
    squeeze = tensor.ndim == 3
    batch = tensor.float()[None, None] if squeeze else tensor.float()[None]
    out = model.generate(condition=batch)[0]
    out = out[0] if squeeze else out
    new_affine = None if affine is None else upsampled_affine(affine, model.scale_factor)
    return out.cpu().numpy().astype(np.float32), new_affine
