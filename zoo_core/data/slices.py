"""All usable 2D slices of one volume at once, for datasets that label slices themselves.

:class:`~zoo_core.data.MedicalImageDataset` streams slices lazily and never needs a whole
volume's slices together. Some architectures do: ACGAN's tissue class and the conditional
GAN's anatomical level depend on where a slice lies among its volume's usable slices, and
CycleGAN pairs the slices of two folders. They read, scale, select and size the slices the
same way; this is that way, written once.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch

from zoo_core.data.intensity import intensity_transform
from zoo_core.data.readers import read_image
from zoo_core.data.regions import fit_to_size, slice_indices, take_slice


def volume_slices(
    data_cfg: Any, path: str | Path, *, intensity: str | None = None
) -> tuple[list[int], list[torch.Tensor]]:
    """``(indices, slices)``: the slices along ``data.slice_axis`` of the volume at ``path``
    that pass ``data.skip_empty``/``data.min_foreground``, each ``(C, H, W)`` float32,
    scaled by ``data.intensity`` (fitted on this volume) and fitted to ``data.spatial_size``
    by ``data.size_mode``.

    ``intensity`` replaces ``data.intensity`` for this volume (CycleGAN's second domain has
    its own, ``data.intensity_b``). ``indices`` lets a caller read per-slice labels from
    companion volumes (e.g. tissue maps) at the same positions.
    """
    cfg = data_cfg
    if intensity is not None:
        cfg = copy.deepcopy(data_cfg)
        cfg.intensity = intensity
    array = read_image(path)[0]
    volume = torch.as_tensor(intensity_transform(cfg).fit(array).forward(array)).float()
    axis = int(data_cfg.slice_axis)
    indices = slice_indices(volume, axis, data_cfg.skip_empty, data_cfg.min_foreground)
    size, mode = data_cfg.spatial_size, data_cfg.size_mode
    return indices, [fit_to_size(take_slice(volume, axis, i), size, mode) for i in indices]
