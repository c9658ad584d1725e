"""All usable 2D slices of one volume at once, for datasets that label slices themselves.

:class:`~zoo_core.data.MedicalImageDataset` streams slices lazily and never needs a whole
volume's slices together. Some architectures do: ACGAN's tissue class and the conditional
GAN's anatomical level depend on where a slice lies among its volume's usable slices, and
CycleGAN pairs the slices of two folders. They read, scale, select and size the slices the
same way; this is that way, written once. :class:`LevelSlices` is the anatomical-level
labelling itself, shared by the models that are trained on levels (the conditional GAN) and
those judged by them (InfoGAN's categorical code).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch

from zoo_core.data.intensity import intensity_transform
from zoo_core.data.readers import list_images, read_image
from zoo_core.data.regions import fit_to_size, slice_indices, take_slice
from zoo_core.errors import DataError


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


def level_labels(count: int, levels: int) -> list[int]:
    """Bin ``count`` ordered slices into ``levels`` equal groups: ``floor(i * levels / count)``."""
    return [i * levels // count for i in range(count)]


class LevelSlices(torch.utils.data.Dataset):
    """The usable slices of every volume at ``path``, each labelled by its anatomical level:
    its position among its volume's slices along ``data.slice_axis``, cut into ``levels``
    equal bins, so class 0 holds the lowest slices (skull base) and ``levels - 1`` the top."""

    def __init__(self, data_cfg: Any, path: str | Path, levels: int) -> None:
        paths = list_images(path) if Path(path).is_dir() else [Path(path)]
        if not paths:
            raise DataError(
                f"{path} holds no volumes (zoo_core.data.shipped.write_mni152(DIR) writes one)."
            )
        self.images: list[torch.Tensor] = []
        self.labels: list[int] = []
        for p in paths:
            _, images = volume_slices(data_cfg, p)
            self.labels += level_labels(len(images), levels)
            self.images += images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"target": self.images[index], "label": torch.tensor(self.labels[index])}
