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
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from zoo_cgan3d.volumes import find_scans, fit_transform, read_volume
from zoo_core.plugin_api import DataError, IntensityTransform, block_grid, crop

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


def hu_slope(transform: IntensityTransform, y: np.ndarray | torch.Tensor, h: float = 1e-3):
    """HU per normalised unit of ``transform``'s inverse at ``y`` (central difference)."""
    up = np.asarray(transform.inverse(np.asarray(y, dtype=np.float32) + h), dtype=np.float32)
    down = np.asarray(transform.inverse(np.asarray(y, dtype=np.float32) - h), dtype=np.float32)
    return (up - down) / (2 * h)


#: Levels at which an item's ``hu_lookup`` samples the inverse transform (uniform on [-1, 1]).
HU_LOOKUP_SIZE = 4097


def hu_lookup(transform: IntensityTransform) -> torch.Tensor:
    """HU at :data:`HU_LOOKUP_SIZE` uniform levels of [-1, 1]: ``transform``'s inverse as a
    table the model reads on its device (see :func:`zoo_cgan3d.model.to_hu`)."""
    levels = np.linspace(-1.0, 1.0, HU_LOOKUP_SIZE, dtype=np.float32)
    return torch.as_tensor(np.asarray(transform.inverse(levels), dtype=np.float32))


def random_slab(hu: np.ndarray, rng: np.random.Generator, min_depth: int) -> tuple[int, int]:
    """The axial range ``(start, stop)`` of a contiguous slab of ``hu`` between a quarter and
    three quarters of its depth (at least ``min_depth`` slices): the part of a head that a
    user's scan may cover."""
    depth = hu.shape[-1]
    low = min(depth, max(min_depth, depth // 4))
    size = int(rng.integers(low, max(low, 3 * depth // 4) + 1))
    start = int(rng.integers(0, depth - size + 1))
    return start, start + size


def _bounds(transform: IntensityTransform, fitted_on: np.ndarray) -> torch.Tensor:
    low_high = np.array([fitted_on.min(), fitted_on.max()], dtype=np.float32)
    return torch.as_tensor(np.asarray(transform.forward(low_high), dtype=np.float32))


class CTBlockDataset(Dataset):
    """Items ``{"target": (1, b, b, b) float32 in [-1, 1], "value_bounds": (2,), "meta": ...}``.

    ``value_bounds`` are the scan's smallest and largest normalised values: a noisy or
    pixelated condition is clipped to them, as it is when a user's scan is stored in HU (the
    evaluation makes its condition that way). With ``hu_weighted_loss`` an item also has
    ``voxel_weight`` (1, b, b, b): :func:`hu_slope` at the target, over its mean on the scan,
    kept within [0.05, 20], which the pixel-wise loss terms use to measure error in HU.
    """

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
        hu_weighted_loss: bool = False,
        transform_slabs: int = 0,
        hu_ceiling: tuple[float, float] | None = None,
    ) -> None:
        self.block = block
        self.shift = shift
        self.factor = AUGMENT_FACTOR if augment else 1
        #: per scan: its own transform first, then those fitted on random slabs of it
        self.transforms: list[list[IntensityTransform]] = []
        #: per scan: the axial range each of those transforms was fitted on
        self.slabs: list[list[tuple[int, int]]] = []
        self.names = names or [f"scan{i}" for i in range(len(scans))]
        self.scans: list[torch.Tensor] = []
        self.fills: list[float] = []
        self.bounds: list[torch.Tensor] = []
        self.lookups: list[list[torch.Tensor]] = []
        self.ceilings: list[list[float | None]] = []
        self.slope_scale: list[float] = []
        self.hu_weighted_loss = hu_weighted_loss
        self.index: list[tuple[int, tuple[int, ...]]] = []
        for i, hu in enumerate(scans):
            if hu.ndim != 3:
                raise DataError(f"{self.names[i]}: expected a 3D CT volume, got shape {hu.shape}")
            volume = torch.as_tensor(np.asarray(hu, dtype=np.float32))[None]
            self.scans.append(volume)
            self.fills.append(float(volume.min()))  # pad with the scan's air/background
            fitted = [(transforms[i], hu)]
            ceilings: list[float | None] = [None]
            slabs = [(0, hu.shape[-1])]
            rng = np.random.default_rng(i)
            for _ in range(transform_slabs):
                slabs.append(random_slab(hu, rng, min_depth=block))
                part = hu[..., slabs[-1][0] : slabs[-1][1]]
                ceilings.append(None)
                if hu_ceiling is not None:
                    ceilings[-1] = float(np.exp(rng.uniform(*np.log(hu_ceiling))))
                    part = np.minimum(part, ceilings[-1])
                fitted.append((transforms[i].fit(part), part))
            self.transforms.append([tf for tf, _ in fitted])
            self.slabs.append(slabs)
            self.ceilings.append(ceilings)
            self.bounds.append([_bounds(tf, part) for tf, part in fitted])
            self.lookups.append([hu_lookup(tf) for tf, _ in fitted])
            if hu_weighted_loss:
                normalised = np.asarray(transforms[i].forward(hu[::2, ::2, ::2]))
                self.slope_scale.append(float(hu_slope(transforms[i], normalised).mean()) or 1.0)
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

    def _fitting_transforms(self, scan: int, z: int) -> list[int]:
        """Which of ``scan``'s transforms were fitted on a slab holding axial ``z..z+block``
        (the scan's own, fitted on all of it, always does)."""
        z0, z1 = max(z, 0), min(z + self.block, self.scans[scan].shape[-1])
        return [k for k, (lo, hi) in enumerate(self.slabs[scan]) if lo <= z0 and z1 <= hi]

    def __getitem__(self, item: int) -> dict[str, Any]:
        block_id, aug = divmod(int(item), self.factor)
        scan, origin = self.index[block_id]
        cube = augment_block(
            self.scans[scan], origin, self.block, aug, self.shift, self.fills[scan]
        )
        # Only a transform fitted on a slab that holds the block: a user's scan is equalised
        # on itself. A slab of the skull base fitted alone (2 % brain) puts a block of brain
        # from higher up into the top 1 % of its levels, where the noise drowns it and a 5^3
        # median misses by 30 HU; such pairs were most of the loss (measured on the head CT).
        fits = self._fitting_transforms(scan, origin[-1])
        which = fits[(block_id * 7 + aug) % len(fits)]  # spread over the epoch
        transform = self.transforms[scan][which]
        ceiling = self.ceilings[scan][which]
        if ceiling is not None:
            cube = cube.clamp_max(ceiling)
        target = transform.forward(cube).float()
        item = {
            "target": target,
            "value_bounds": self.bounds[scan][which],
            "hu_lookup": self.lookups[scan][which],
            "meta": {"scan": self.names[scan], "origin": list(origin), "augmentation": aug},
        }
        if self.hu_weighted_loss:
            slope = hu_slope(transform, target.numpy()) / self.slope_scale[scan]
            item["voxel_weight"] = torch.from_numpy(np.clip(slope, 0.05, 20.0))
        return item


def example_data(data_cfg: Any, folder: Path) -> None:
    """``ArchSpec.example_data``: one small synthetic head in HU (soft tissue between 20 and
    80 HU inside a bone shell at 800 HU, air outside), four blocks of ``data.spatial_size``,
    for the conformance kit."""
    from zoo_core.testing import phantom, write_volume

    block = int((list(data_cfg.spatial_size) or [32])[0])
    shape = (2 * block, 2 * block, block)
    axes = np.meshgrid(*[np.linspace(-1.0, 1.0, n) for n in shape], indexing="ij")
    radius = np.sqrt(sum(a**2 for a in axes))
    tissue = 20.0 + 60.0 * phantom(shape, seed=0)
    hu = np.where(radius < 0.9, tissue, np.where(radius < 1.05, 800.0, -1000.0))
    write_volume(hu.astype(np.int16), Path(folder) / "head.nii.gz")


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
        hu_weighted_loss=bool(data_cfg.hu_weighted_loss),
        transform_slabs=int(data_cfg.transform_slabs),
        hu_ceiling=tuple(data_cfg.hu_ceiling) if data_cfg.hu_ceiling else None,
    )
