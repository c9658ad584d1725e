"""``translate_volume``: kept for existing callers; the slicing itself is the core's.

``zoo_core.generation.infer_slices`` runs any 2D model over a volume (slice axis into the
batch, ``batch_size`` slices per call, padding to ``size_multiple`` and cropping back), and
``zoo.generate`` / ``zoo generate`` use it for (N, C, X, Y, Z) conditions of 2D models.
"""

from __future__ import annotations

from typing import Any

import torch

from zoo_core.plugin_api import ZooError


def translate_volume(
    model: Any,
    volume: Any,
    axis: int = 2,
    batch_size: int = 16,
    direction: str | None = None,
) -> torch.Tensor:
    """Translate ``volume`` (``(X, Y, Z)`` or ``(C, X, Y, Z)``, values already in [-1, 1])
    slice by slice along spatial ``axis`` (2: axial for RAS volumes); returns ``(C', X, Y, Z)``
    on the CPU. ``direction`` ("a2b"/"b2a") overrides the model's for this call.
    """
    from zoo_core.plugin_api import infer_slices

    volume = torch.as_tensor(volume)
    if volume.ndim == 3:
        volume = volume[None]
    if direction not in (None, "a2b", "b2a"):
        raise ZooError(f"direction must be 'a2b' or 'b2a', not {direction!r}")
    previous = model.direction
    model.direction = direction or previous
    try:
        return infer_slices(model, volume, axis=axis, batch_size=batch_size)
    finally:
        model.direction = previous
