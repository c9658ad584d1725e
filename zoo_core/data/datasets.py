"""The training dataset every architecture gets unless its ArchSpec names its own.

``training_dataset(data_cfg, path)`` reads a folder laid out as:

* plain: images or volumes directly in ``path``;
* paired (``data.paired``): ``path/condition/`` and ``path/target/`` with matching names
  (suffixes may differ: ``a.png`` pairs with ``a.nii.gz``);
* unpaired (``data.unpaired``, CycleGAN): ``path/domain_a/`` and ``path/domain_b/``;
* label maps (``data.labels``): a sub-folder of ``path`` (``labels/``) with the same names,
  or a suffix (``_seg``: ``case1_seg.nii.gz`` goes with ``case1.nii.gz``).

Items are dicts of float tensors ``(C, *spatial)`` in [-1, 1]: ``target``, plus ``condition``
(paired), ``source`` (unpaired) and ``label`` (int64 ``(1, *spatial)`` map, or float one-hot
``(K, *spatial)`` with ``data.one_hot``).

Volumes are read lazily: the dataset stores only file names, slice indices and block corners,
and keeps the ``data.cache_volumes`` most recently used prepared volumes per worker, so a
folder far larger than memory streams; ``data.cache_dir`` adds memory-mapped copies on disk
for shuffled block/slice access over many volumes (see :mod:`zoo_core.data.cache`). Random
choices (patch corners, augmentation) are drawn from torch's RNG, so a seeded run (and its
DataLoader workers) draws the same samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from zoo_core.data.blocks import block_grid, crop
from zoo_core.data.cache import VolumeCache
from zoo_core.data.labels import to_one_hot
from zoo_core.data.readers import image_format, list_images, strip_suffix
from zoo_core.data.regions import (
    fit_to_size,
    foreground_fraction,
    random_origin,
    slice_indices,
    take_slice,
)
from zoo_core.errors import ConfigError, DataError

MODES = ("images", "slices", "blocks", "volumes")
_RANDOM_TRIES = 20


def _plain(x: Any) -> torch.Tensor:
    """MONAI transforms return MetaTensors; the trainer wants plain tensors."""
    return x.as_tensor() if hasattr(x, "as_tensor") else torch.as_tensor(x)


def _spatial_shape(path: Path, cache: VolumeCache) -> tuple[int, ...]:
    """Spatial shape from the NIfTI header when possible (no voxel read), else by reading."""
    if image_format(path) == "nifti":
        import nibabel as nib

        try:
            return tuple(int(s) for s in nib.load(str(path)).shape[:3])
        except Exception:  # let read_image phrase the problem
            pass
    return tuple(cache.get(path).array.shape[1:])


class _Side:
    """One folder of images and the (file, locator) entries sampled from it."""

    def __init__(self, folder: Path, files: list[Path], labels: dict[Path, Path] | None = None):
        self.folder = folder
        self.files = files
        self.labels = labels or {}
        self.entries: list[tuple[Path, Any]] = []


def _match(target: list[Path], other: list[Path], other_dir: Path, what: str) -> list[Path]:
    """For each target the file of ``other`` with the same name (suffix aside)."""
    by_stem = {strip_suffix(p.name): p for p in other}
    missing = [p.name for p in target if strip_suffix(p.name) not in by_stem]
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        shown = ", ".join(missing[:5]) + more
        raise DataError(
            f"{other_dir}: no {what} for {shown}; every target needs a {what} with the same name."
        )
    return [by_stem[strip_suffix(p.name)] for p in target]


def _label_files(
    roots: list[Path], images: list[Path], spec: str
) -> tuple[list[Path], dict[Path, Path]]:
    """Split off label maps named by ``data.labels``: a sub-folder of one of ``roots`` (the
    dataset root or the image folder), or else a name suffix of files beside the images."""
    root = roots[-1]
    folder = next((r / spec for r in roots if (r / spec).is_dir()), None)
    if folder is not None:
        labels = _match(images, list_images(folder), folder, "label map")
        return images, dict(zip(images, labels, strict=True))
    stems = {strip_suffix(p.name): p for p in images}
    label_paths = {p for p in images if strip_suffix(p.name).endswith(spec)}
    kept = [p for p in images if p not in label_paths]
    pairs = {}
    for image in kept:
        label = stems.get(strip_suffix(image.name) + spec)
        if label is None:
            raise DataError(
                f"{root}: no label map for {image.name}; data.labels={spec!r} expects "
                f"{strip_suffix(image.name)}{spec}<suffix> beside it or a {spec}/ sub-folder."
            )
        pairs[image] = label
    if not kept:
        raise DataError(f"{root}: every file ends in the label suffix {spec!r}; no images left.")
    return kept, pairs


class MedicalImageDataset(Dataset):
    """Samples of a folder per :class:`~zoo_core.config.DataConfig` (see the module doc)."""

    def __init__(self, data_cfg: Any, path: str | Path):
        self.cfg = data_cfg
        self.root = Path(path)
        self.mode = data_cfg.mode
        if self.mode not in MODES:
            raise ConfigError(f"data.mode must be one of {', '.join(MODES)}, not {self.mode!r}.")
        if data_cfg.paired and data_cfg.unpaired:
            raise ConfigError("data.paired and data.unpaired cannot both be true.")
        self.size = [int(s) for s in data_cfg.spatial_size]
        if self.mode == "blocks" and not self.size:
            raise ConfigError(
                "data.mode=blocks needs data.spatial_size, the block size (e.g. [32, 32, 32])."
            )
        if data_cfg.patch_sampling not in ("grid", "random"):
            raise ConfigError(
                f"data.patch_sampling must be grid or random, not {data_cfg.patch_sampling!r}."
            )
        self.cache = VolumeCache(data_cfg, data_cfg.cache_volumes, data_cfg.cache_dir)
        self.num_classes = int(data_cfg.num_classes) or len(data_cfg.label_values)
        if data_cfg.one_hot and not self.num_classes:
            raise ConfigError("data.one_hot needs data.num_classes or data.label_values.")
        self._augment = augmentation(data_cfg, self.size, self.mode)
        self._shape: tuple[int, ...] | None = None

        self.condition: _Side | None = None
        self.source: _Side | None = None
        if data_cfg.unpaired:
            self.target = self._side(self._sub("domain_b"))
            self.source = self._side(self._sub("domain_a"))
            self._index(self.source)
        elif data_cfg.paired:
            self.target = self._side(self._sub("target"))
            cond_dir = self._sub("condition")
            cond_files = _match(self.target.files, list_images(cond_dir), cond_dir, "condition")
            self.condition = _Side(cond_dir, cond_files)
            self._condition_of = dict(zip(self.target.files, cond_files, strict=True))
        else:
            self.target = self._side(self.root)
        self._index(self.target)
        if not self.target.entries:
            raise DataError(
                f"{self.target.folder}: no usable {self.mode} in these images (all empty?); "
                "lower data.min_foreground or set data.skip_empty=false."
            )

    # -- building the index ---------------------------------------------------------------

    def _sub(self, name: str) -> Path:
        folder = self.root / name
        if not folder.is_dir():
            layout = {"domain_a": "unpaired", "domain_b": "unpaired"}.get(name, "paired")
            raise DataError(
                f"{self.root}: has no {name}/ sub-folder; {layout} data needs "
                + ("domain_a/ and domain_b/" if layout == "unpaired" else "condition/ and target/")
                + " sub-folders with the images."
            )
        return folder

    def _side(self, folder: Path) -> _Side:
        files = list_images(folder)
        labels = None
        if self.cfg.labels:
            files, labels = _label_files([self.root, folder], files, self.cfg.labels)
        return _Side(folder, files, labels)

    def _index(self, side: _Side) -> None:
        cfg = self.cfg
        for path in side.files:
            if self.mode in ("images", "volumes"):
                side.entries.append((path, None))
            elif self.mode == "slices":
                shape = _spatial_shape(path, self.cache)
                if len(shape) != 3:
                    raise DataError(
                        f"{path}: 2D slices need a 3D volume, not an image of shape {shape}; "
                        "use data.mode=images for 2D pictures."
                    )
                found = range(shape[cfg.slice_axis])
                if cfg.skip_empty:
                    found = slice_indices(
                        self.cache.get(path).array, cfg.slice_axis, True, cfg.min_foreground
                    )
                side.entries += [(path, i) for i in found]
            elif cfg.patch_sampling == "random":
                side.entries += [(path, "random")] * int(cfg.patches_per_volume)
            else:
                grid = block_grid(_spatial_shape(path, self.cache), self.size)
                origins = grid.origins()
                if cfg.skip_empty:
                    prepared = self.cache.get(path)
                    volume, bg = prepared.array, prepared.background
                    origins = [
                        o
                        for o in origins
                        if foreground_fraction(crop(volume, o, self.size, bg), bg)
                        >= cfg.min_foreground
                    ]
                side.entries += [(path, o) for o in origins]

    # -- items --------------------------------------------------------------------------------

    def __len__(self) -> int:
        n = len(self.target.entries)
        return max(n, len(self.source.entries)) if self.source is not None else n

    def describe(self, index: int) -> dict[str, Any]:
        """Which file and which slice/block an index reads, and its intensity record."""
        path, locator = self.target.entries[index % len(self.target.entries)]
        record = self.cache.get(path).intensity
        return {"path": str(path), "locator": locator, "intensity": record.to_dict()}

    def _cut(self, path: Path, locator: Any, origin: tuple[int, ...] | None, label: bool):
        prepared = self.cache.get(path, label=label)
        volume, bg = prepared.array, prepared.background
        if self.mode == "slices":
            if volume.ndim != 4:
                raise DataError(
                    f"{path}: 2D slices need a 3D volume, not shape {tuple(volume.shape[1:])}."
                )
            x = take_slice(volume, self.cfg.slice_axis, locator)
        elif self.mode == "blocks":
            x = crop(volume, origin, self.size, pad_value=bg)
        else:
            x = volume
        if self.mode != "blocks" and self.size:
            x = fit_to_size(x, self.size, self.cfg.size_mode, label=label, pad_value=bg)
        return x

    def _origin(self, path: Path, locator: Any) -> tuple[int, ...] | None:
        if self.mode != "blocks":
            return None
        if locator != "random":
            return locator
        prepared = self.cache.get(path)
        volume, bg = prepared.array, prepared.background
        for _ in range(_RANDOM_TRIES):
            origin = random_origin(volume.shape[1:], self.size)
            if not self.cfg.skip_empty:
                break
            patch = crop(volume, origin, self.size, bg)
            if foreground_fraction(patch, bg) >= self.cfg.min_foreground:
                break
        return origin

    def _read(self, side: _Side, path: Path, locator: Any, condition: Path | None):
        origin = self._origin(path, locator)
        item = {"target": self._cut(path, locator, origin, label=False)}
        if condition is not None:
            item["condition"] = self._cut(condition, locator, origin, label=False)
            if item["condition"].shape[1:] != item["target"].shape[1:]:
                raise DataError(
                    f"{condition}: spatial shape {tuple(item['condition'].shape[1:])} differs "
                    f"from its target {path.name} {tuple(item['target'].shape[1:])}; paired "
                    "images must be aligned (resample one onto the other)."
                )
        if path in side.labels:
            label = self._cut(side.labels[path], locator, origin, label=True)
            if label.shape[1:] != item["target"].shape[1:]:
                raise DataError(
                    f"{side.labels[path]}: label map shape {tuple(label.shape[1:])} differs from "
                    f"its image {path.name} {tuple(item['target'].shape[1:])}."
                )
            item["label"] = label
        return item

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        if not 0 <= index < len(self):
            raise IndexError(index)
        path, locator = self.target.entries[index % len(self.target.entries)]
        condition = None
        if self.condition is not None:
            condition = self._condition_of[path]
        item = self._read(self.target, path, locator, condition)
        item = self._augment(item)
        if self.source is not None:
            # CycleGAN draws the other domain at random so that pairs change every epoch.
            pick = int(torch.randint(len(self.source.entries), (1,)))
            src_path, src_loc = self.source.entries[pick]
            source = self._augment(self._read(self.source, src_path, src_loc, None))
            item["source"] = source["target"]
        if "label" in item and self.cfg.one_hot:
            item["label"] = to_one_hot(item["label"], self.num_classes, where=str(path))
        self._check_shape(path, item["target"])
        return {k: _plain(v).contiguous() for k, v in item.items()}

    def _check_shape(self, path: Path, target: torch.Tensor) -> None:
        shape = tuple(target.shape)
        if self._shape is None:
            self._shape = shape
        elif shape != self._shape:
            raise DataError(
                f"{path}: gives a sample of shape {shape}, but earlier samples are "
                f"{self._shape}; set data.spatial_size so every sample has one size."
            )


class Augmentation:
    """A MONAI transform applied with a draw from torch's random stream, so the trainer's
    seed fixes it; a class rather than a closure so that DataLoader workers can pickle it."""

    def __init__(self, transform: Any = None) -> None:
        self.transform = transform

    def __call__(self, item: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if self.transform is None:
            return item
        self.transform.set_random_state(seed=int(torch.randint(2**31 - 1, (1,))))
        return {k: _plain(v) for k, v in self.transform(dict(item)).items()}


def augmentation(data_cfg: Any, size: Sequence[int], mode: str = "slices") -> Augmentation:
    """``data.jitter_size`` and ``data.augment`` as a function of an item, drawn afresh per
    call.

    Random jitter (resize up, crop back to ``size``), then flips along every axis and
    in-plane quarter turns (exact, no interpolation), or flips along ``augment_flip_axes``
    only. The MONAI dictionary transforms apply the same draw to an item's target, condition
    and label (labels resized nearest-neighbour). The identity when the config asks for none
    of it.
    """
    from monai.transforms import Compose, RandFlipd, RandRotate90d, RandSpatialCropd, Resized

    size = [int(s) for s in size]
    jitter = int(data_cfg.jitter_size)
    if not data_cfg.augment and not jitter:
        return Augmentation()
    keys = ["target", "condition", "label"]
    nd = len(size) if size else (2 if mode in ("images", "slices") else 3)
    steps: list[Any] = []
    if jitter:
        if not size or jitter < max(size):
            raise ConfigError(
                f"data.jitter_size={jitter} needs data.spatial_size no larger than it."
            )
        smooth = "bilinear" if nd == 2 else "trilinear"
        modes = (smooth, smooth, "nearest")
        steps += [
            Resized(keys, [jitter] * nd, mode=modes, allow_missing_keys=True),
            RandSpatialCropd(keys, size, random_size=False, allow_missing_keys=True),
        ]
    if data_cfg.augment:
        axes = data_cfg.augment_flip_axes
        steps += [
            RandFlipd(keys, prob=0.5, spatial_axis=a, allow_missing_keys=True)
            for a in (range(nd) if axes is None else [int(a) for a in axes])
        ]
        if axes is None and size and size[0] == size[1]:
            steps.append(
                RandRotate90d(keys, prob=0.5, spatial_axes=(0, 1), allow_missing_keys=True)
            )
    return Augmentation(Compose(steps))


def training_dataset(data_cfg: Any, path: str | Path) -> MedicalImageDataset:
    """The dataset ``zoo train --data PATH`` reads (see the module doc for the layouts)."""
    return MedicalImageDataset(data_cfg, path)
