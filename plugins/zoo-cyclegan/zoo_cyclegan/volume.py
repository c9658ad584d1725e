"""Translating a whole volume with a 2D CycleGAN, slice by slice."""

from __future__ import annotations

from typing import Any

import torch

from zoo_core.errors import ZooError


def translate_volume(
    model: Any,
    volume: Any,
    axis: int = 2,
    batch_size: int = 16,
    direction: str | None = None,
) -> torch.Tensor:
    """Translate ``volume`` (``(X, Y, Z)`` or ``(C, X, Y, Z)``, values already in [-1, 1])
    slice by slice along spatial ``axis`` (2: axial for RAS volumes); returns ``(C', X, Y, Z)``.

    Slices keep their size (the generators are fully convolutional; sizes are padded to a
    multiple of 4 and cropped back), so the output has the input's geometry and affine.
    ``batch_size`` slices go to the model's device at a time; the volume stays where it is.
    """
    volume = torch.as_tensor(volume)
    if volume.ndim == 3:
        volume = volume[None]
    if volume.ndim != 4:
        raise ZooError(f"a volume must be (X, Y, Z) or (C, X, Y, Z), got {tuple(volume.shape)}")
    if axis not in (0, 1, 2):
        raise ZooError(f"axis must be 0, 1 or 2 (a spatial axis), not {axis}")
    if batch_size < 1:
        raise ZooError(f"batch_size must be positive, not {batch_size}")
    slices = volume.movedim(1 + axis, 0).float()  # (S, C, H, W)
    was_training = model.training
    model.eval()
    outputs = []
    try:
        with torch.no_grad():
            for start in range(0, slices.shape[0], batch_size):
                chunk = slices[start : start + batch_size].to(model.device)
                out = model.translate(chunk, direction).clamp(*model.value_range)
                outputs.append(out.to(volume.device))
    finally:
        model.train(was_training)
    return torch.cat(outputs).movedim(0, 1 + axis)
