"""MNI152 axial slices labelled by anatomical level: K equal bins from bottom to top.

The class of a slice is its position among the volume's non-empty slices along
``data.slice_axis``, cut into ``model.num_classes`` (``data.levels``) equal bins, so
class 0 holds the lowest (skull base) slices and class K-1 the vertex. Reading, scaling and
slicing are :mod:`zoo_core.data`'s; the MNI152 T1 comes from
:func:`zoo_core.data.shipped.write_mni152`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch


def level_labels(count: int, levels: int) -> list[int]:
    """Bin ``count`` ordered slices into ``levels`` equal groups: ``floor(i * levels / count)``."""
    return [i * levels // count for i in range(count)]


class LevelSlices(torch.utils.data.Dataset):
    def __init__(self, data_cfg: Any, path: str | Path) -> None:
        from zoo_core.plugin_api import DataError, list_images, volume_slices

        paths = list_images(path) if Path(path).is_dir() else [Path(path)]
        if not paths:
            raise DataError(
                f"{path} holds no volumes (zoo_core.data.shipped.write_mni152(DIR) writes one)."
            )
        self.images: list[torch.Tensor] = []
        self.labels: list[int] = []
        for p in paths:
            _, images = volume_slices(data_cfg, p)
            self.labels += level_labels(len(images), int(data_cfg.levels))
            self.images += images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"target": self.images[index], "label": torch.tensor(self.labels[index])}


def level_slices(data_cfg: Any, path: str | Path) -> LevelSlices:
    """The ``ArchSpec.dataset`` of ``cgan``."""
    return LevelSlices(data_cfg, path)
