"""The training set: non-overlapping 32³ blocks of equalised CT with the paper's x34 augmentation.

The paper splits each scan into non-overlapping 32³ blocks, equalises and normalises HU to
[-1, 1] and augments by a factor of 34 with translations, mirrors and rotations, without
saying which 34. Ours: the block itself, its 26 translations (the window moved by
``augment_shift`` voxels along every non-empty combination of axes and directions), 3
mirrors (one per axis), and 4 rotations (90°, 180°, 270° in the axial plane and 180° about
the first axis). Blocks are cut lazily from HU kept in memory, so the x34 set costs no memory.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from zoo_cgan3d.intensity import HUEqualizer
from zoo_cgan3d.volumes import find_scans, read_volume
from zoo_core.errors import DataError

TRANSLATIONS = [d for d in itertools.product((-1, 0, 1), repeat=3) if d != (0, 0, 0)]
#: name of each augmentation, index = augmentation id (len == 34)
AUGMENTATIONS = (
    ["identity"]
    + [f"shift{d}" for d in TRANSLATIONS]
    + ["flip0", "flip1", "flip2"]
    + ["rot90", "rot180", "rot270", "rot180_12"]
)
AUGMENT_FACTOR = len(AUGMENTATIONS)


def pad_to_multiple(volume: np.ndarray, block: int, fill: float) -> np.ndarray:
    """Pad the end of every axis up to a multiple of ``block`` with ``fill`` (air)."""
    pads = [(0, (-s) % block) for s in volume.shape]
    if not any(p[1] for p in pads):
        return volume
    return np.pad(volume, pads, mode="constant", constant_values=fill)


def block_origins(shape: tuple[int, ...], block: int) -> list[tuple[int, int, int]]:
    """Origins of the non-overlapping blocks that tile a (padded) volume."""
    return list(itertools.product(*(range(0, s - block + 1, block) for s in shape)))


def augment_block(volume: np.ndarray, origin: tuple[int, ...], block: int, aug: int, shift: int):
    """Cut block ``origin`` of ``volume`` under augmentation ``aug`` (see AUGMENTATIONS)."""
    offset = (0, 0, 0)
    if 1 <= aug <= len(TRANSLATIONS):
        offset = tuple(d * shift for d in TRANSLATIONS[aug - 1])
    start = [
        min(max(o + d, 0), s - block) for o, d, s in zip(origin, offset, volume.shape, strict=True)
    ]
    cube = volume[tuple(slice(s, s + block) for s in start)]
    first_flip = 1 + len(TRANSLATIONS)
    if first_flip <= aug < first_flip + 3:
        cube = np.flip(cube, axis=aug - first_flip)
    elif first_flip + 3 <= aug < first_flip + 6:
        cube = np.rot90(cube, k=aug - first_flip - 2, axes=(0, 1))
    elif aug == first_flip + 6:
        cube = np.rot90(cube, k=2, axes=(1, 2))
    return np.ascontiguousarray(cube)


class CTBlockDataset(Dataset):
    """Items ``{"target": (1, b, b, b) float32 in [-1, 1], "meta": {...}}``."""

    def __init__(
        self,
        scans: list[np.ndarray],
        equalizers: list[HUEqualizer],
        *,
        block: int = 32,
        augment: bool = True,
        shift: int = 8,
        region_hu: tuple[float, float] | None = None,
        min_region_fraction: float = 0.0,
        names: list[str] | None = None,
    ) -> None:
        self.block = block
        self.shift = shift
        self.factor = AUGMENT_FACTOR if augment else 1
        self.equalizers = equalizers
        self.names = names or [f"scan{i}" for i in range(len(scans))]
        self.scans = []
        self.index: list[tuple[int, tuple[int, int, int]]] = []
        for i, hu in enumerate(scans):
            if hu.ndim != 3:
                raise DataError(f"{self.names[i]}: expected a 3D CT volume, got shape {hu.shape}")
            padded = pad_to_multiple(hu, block, float(equalizers[i].hu[0]))
            self.scans.append(padded)
            for origin in block_origins(padded.shape, block):
                if min_region_fraction > 0 and region_hu is not None:
                    cube = padded[tuple(slice(o, o + block) for o in origin)]
                    inside = ((cube >= region_hu[0]) & (cube <= region_hu[1])).mean()
                    if inside < min_region_fraction:
                        continue
                self.index.append((i, origin))
        if not self.index:
            raise DataError(
                "no block passes data.min_region_fraction; lower it or check data.region_hu"
            )

    def __len__(self) -> int:
        return len(self.index) * self.factor

    def __getitem__(self, item: int) -> dict[str, Any]:
        block_id, aug = divmod(int(item), self.factor)
        scan, origin = self.index[block_id]
        cube = augment_block(self.scans[scan], origin, self.block, aug, self.shift)
        values = self.equalizers[scan].forward(cube)
        return {
            "target": torch.from_numpy(values)[None],
            "meta": {"scan": self.names[scan], "origin": list(origin), "augmentation": aug},
        }


def training_dataset(data_cfg: Any, path: str) -> CTBlockDataset:
    """``ArchSpec.dataset`` of cgan3d: every CT under ``path`` cut into augmented blocks."""
    block = int(data_cfg.spatial_size[0]) if data_cfg.spatial_size else 32
    if data_cfg.spatial_size and len(set(data_cfg.spatial_size)) != 1:
        raise DataError(f"data.spatial_size must be a cube, got {list(data_cfg.spatial_size)}")
    window = (float(data_cfg.hu_window[0]), float(data_cfg.hu_window[1]))
    scans, equalizers, names = [], [], []
    for scan_path in find_scans(path, int(data_cfg.max_scans)):
        volume = read_volume(scan_path)
        scans.append(volume.hu)
        equalizers.append(HUEqualizer.fit(volume.hu, window, bool(data_cfg.histogram_equalization)))
        names.append(scan_path.name)
    return CTBlockDataset(
        scans,
        equalizers,
        block=block,
        augment=bool(data_cfg.augment),
        shift=int(data_cfg.augment_shift),
        region_hu=tuple(data_cfg.region_hu),
        min_region_fraction=float(data_cfg.min_region_fraction),
        names=names,
    )
