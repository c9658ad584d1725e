"""The training set: non-overlapping 32³ blocks of equalised CT with the paper's x34 augmentation.

The paper splits each scan into non-overlapping 32³ blocks (the core's block grid, padded at
the far edges), equalises and normalises HU to [-1, 1] and augments by a factor of 34 with
translations, mirrors and rotations, without saying which 34. Ours: the block itself, its 26
translations (the window moved by ``augment_shift`` voxels along every non-empty combination
of axes and directions), 3 mirrors (one per axis), and 4 rotations (90°, 180°, 270° in the
axial plane and 180° about the first axis). Blocks are cut lazily from the HU volumes kept in
memory and equalised on access, so the x34 set costs no memory.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from zoo_cgan3d.volumes import find_scans, fit_transform, read_volume
from zoo_core.data.intensity import IntensityTransform
from zoo_core.data.sampling import block_grid, crop
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
_FIRST_FLIP = 1 + len(TRANSLATIONS)


def augment_block(
    volume: torch.Tensor, origin: tuple[int, ...], block: int, aug: int, shift: int, fill: float
) -> torch.Tensor:
    """Block ``origin`` of ``volume`` (1, X, Y, Z) under augmentation ``aug`` (AUGMENTATIONS)."""
    start = list(origin)
    if 1 <= aug <= len(TRANSLATIONS):
        spatial = volume.shape[1:]
        start = [
            min(max(o + d * shift, 0), max(s - block, 0))
            for o, d, s in zip(origin, TRANSLATIONS[aug - 1], spatial, strict=True)
        ]
    cube = crop(volume, start, (block,) * 3, pad_value=fill)
    if _FIRST_FLIP <= aug < _FIRST_FLIP + 3:
        cube = torch.flip(cube, dims=(1 + aug - _FIRST_FLIP,))
    elif _FIRST_FLIP + 3 <= aug < _FIRST_FLIP + 6:
        cube = torch.rot90(cube, k=aug - _FIRST_FLIP - 2, dims=(1, 2))
    elif aug == _FIRST_FLIP + 6:
        cube = torch.rot90(cube, k=2, dims=(2, 3))
    return cube.contiguous()


class CTBlockDataset(Dataset):
    """Items ``{"target": (1, b, b, b) float32 in [-1, 1], "meta": {...}}``."""

    def __init__(
        self,
        scans: list[np.ndarray],
        transforms: list[IntensityTransform],
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
        self.transforms = transforms
        self.names = names or [f"scan{i}" for i in range(len(scans))]
        self.scans: list[torch.Tensor] = []
        self.fills: list[float] = []
        self.index: list[tuple[int, tuple[int, ...]]] = []
        for i, hu in enumerate(scans):
            if hu.ndim != 3:
                raise DataError(f"{self.names[i]}: expected a 3D CT volume, got shape {hu.shape}")
            volume = torch.as_tensor(np.asarray(hu, dtype=np.float32))[None]
            self.scans.append(volume)
            self.fills.append(float(volume.min()))  # pad with the scan's air/background
            for origin in block_grid(hu.shape, block).origins():
                if min_region_fraction > 0 and region_hu is not None:
                    cube = crop(volume, origin, (block,) * 3, pad_value=self.fills[-1])
                    inside = ((cube >= region_hu[0]) & (cube <= region_hu[1])).float().mean()
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
        cube = augment_block(
            self.scans[scan], origin, self.block, aug, self.shift, self.fills[scan]
        )
        return {
            "target": self.transforms[scan].forward(cube).float(),
            "meta": {"scan": self.names[scan], "origin": list(origin), "augmentation": aug},
        }


def training_dataset(data_cfg: Any, path: str) -> CTBlockDataset:
    """``ArchSpec.dataset`` of cgan3d: every CT under ``path`` cut into augmented blocks."""
    size = list(data_cfg.spatial_size) or [32, 32, 32]
    if len(size) != 3 or len(set(size)) != 1:
        raise DataError(f"data.spatial_size must be a cube [b, b, b], got {size}")
    scans, transforms, names = [], [], []
    for scan_path in find_scans(path, int(data_cfg.max_scans)):
        volume = read_volume(scan_path)
        scans.append(volume.hu)
        transforms.append(fit_transform(data_cfg, volume.hu))
        names.append(scan_path.name)
    return CTBlockDataset(
        scans,
        transforms,
        block=int(size[0]),
        augment=bool(data_cfg.augment),
        shift=int(data_cfg.augment_shift),
        region_hu=tuple(data_cfg.region_hu),
        min_region_fraction=float(data_cfg.min_region_fraction),
        names=names,
    )
