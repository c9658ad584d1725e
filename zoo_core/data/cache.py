"""Prepared (read, channel-adapted, normalised) images, cached in memory and optionally on
disk.

Patch and slice training touches each volume many times in shuffled order. Decoding a
compressed NIfTI or a DICOM series and normalising it is the slow part, so prepared volumes
are kept in a small least-recently-used memory cache (``data.cache_volumes`` per worker) and,
with ``data.cache_dir``, written once as ``.npy`` files that later reads memory-map: a block
then costs only the pages it touches, whatever the order and however large the folder, and
memory stays bounded by the page cache rather than by the dataset.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo_core.data.intensity import IntensityTransform, from_dict, intensity_transform
from zoo_core.data.labels import gray_to_index
from zoo_core.data.readers import read_image
from zoo_core.data.regions import background_value
from zoo_core.errors import DataError
from zoo_core.weights import atomic_path

#: Bump when the prepared layout changes, so stale disk caches are not reused.
CACHE_VERSION = 1


def adapt_channels(x: torch.Tensor, channels: int, where: str) -> torch.Tensor:
    """Make ``x`` have ``data.channels`` channels where the meaning is unambiguous."""
    have = x.shape[0]
    if have == channels:
        return x
    if have == 4 and channels in (1, 3):  # RGBA: the alpha channel carries no image
        x, have = x[:3], 3
        if channels == 3:
            return x
    if have == 3 and channels == 1:  # ITU-R 601 luma, as PIL's convert("L")
        weights = torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype).view(3, *[1] * (x.ndim - 1))
        return (x * weights).sum(0, keepdim=True)
    if have == 1 and channels == 3:
        return x.expand(3, *x.shape[1:]).clone()
    raise DataError(
        f"{where}: has {have} channels but data.channels is {channels}; convert the images or "
        "set data.channels."
    )


@dataclass
class Prepared:
    """An image read, channel-adapted and normalised, with what it takes to undo that."""

    array: torch.Tensor
    meta: dict[str, Any]
    intensity: IntensityTransform | None  # None for label maps
    #: Level of the border (air, or 0 HU in a skull-stripped atlas): padding and "empty".
    background: float = 0.0


class VolumeCache:
    """Least-recently-used cache of prepared images, so blocks/slices of one volume that are
    drawn close together read the file once, without ever holding the whole folder."""

    def __init__(self, data_cfg: Any, maxsize: int, cache_dir: str | Path | None = None):
        self.data_cfg = data_cfg
        self.maxsize = max(int(maxsize), 1)
        self.template = intensity_transform(data_cfg)
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._items: OrderedDict[tuple[str, bool], Prepared] = OrderedDict()
        self.reads = 0  # files actually decoded (for tests and tuning)

    def get(self, path: Path, label: bool = False) -> Prepared:
        key = (str(path), label)
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        item = self._from_disk(path, label) if self.cache_dir else None
        if item is None:
            item = self._prepare_label(path) if label else self._prepare_image(path)
            self.reads += 1
            if self.cache_dir:
                self._to_disk(path, label, item)
        self._items[key] = item
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)
        return item

    def _prepare_image(self, path: Path) -> Prepared:
        array, meta = read_image(path)
        x = adapt_channels(torch.from_numpy(array), int(self.data_cfg.channels), str(path))
        transform = self.template.fit(x)
        y = transform.forward(x).float()
        return Prepared(y, meta, transform, background_value(y))

    def _prepare_label(self, path: Path) -> Prepared:
        array, meta = read_image(path)
        if array.shape[0] != 1:
            raise DataError(
                f"{path}: a label map must have one channel, not {array.shape[0]}; save it as a "
                "single-channel integer image."
            )
        values = list(self.data_cfg.label_values)
        if values:
            index = gray_to_index(np.rint(array), values, where=str(path))
        else:
            if not np.array_equal(array, np.rint(array)):
                raise DataError(
                    f"{path}: label maps must hold whole-number class indices; set "
                    "data.label_values if the classes are stored as gray values."
                )
            index = array
        return Prepared(torch.from_numpy(np.asarray(index, dtype=np.int64)), meta, None)

    # -- disk cache ---------------------------------------------------------------------------

    def _disk_key(self, path: Path, label: bool) -> str:
        """Changes when the file, its modification time or the preparation settings change."""
        stat = path.stat()
        settings = {
            "version": CACHE_VERSION,
            "path": str(path.resolve()),
            "mtime": stat.st_mtime_ns,
            "size": stat.st_size,
            "entries": sorted(os.listdir(path)) if path.is_dir() else None,
            "label": label,
            "intensity": self.template.to_dict(),
            "channels": int(self.data_cfg.channels),
            "label_values": [float(v) for v in self.data_cfg.label_values],
        }
        text = json.dumps(settings, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _from_disk(self, path: Path, label: bool) -> Prepared | None:
        stem = self.cache_dir / self._disk_key(path, label)
        array_file, meta_file = stem.with_suffix(".npy"), stem.with_suffix(".json")
        if not (array_file.exists() and meta_file.exists()):
            return None
        try:
            record = json.loads(meta_file.read_text())
            # copy-on-write map: torch gets a writable view, pages load as they are touched
            array = np.load(array_file, mmap_mode="c")
        except (OSError, ValueError):
            return None  # a damaged cache entry is rebuilt, never trusted
        meta = dict(record["meta"], affine=np.asarray(record["meta"]["affine"]))
        intensity = from_dict(record["intensity"]) if record["intensity"] else None
        return Prepared(torch.from_numpy(array), meta, intensity, record["background"])

    def _to_disk(self, path: Path, label: bool, item: Prepared) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        stem = self.cache_dir / self._disk_key(path, label)
        meta = {k: v for k, v in item.meta.items() if k != "affine"}
        record = {
            "meta": {**meta, "affine": np.asarray(item.meta["affine"]).tolist()},
            "intensity": item.intensity.to_dict() if item.intensity is not None else None,
            "background": item.background,
        }
        with atomic_path(stem.with_suffix(".npy")) as tmp, open(tmp, "wb") as handle:
            np.save(handle, item.array.numpy())
        with atomic_path(stem.with_suffix(".json")) as tmp:
            tmp.write_text(json.dumps(record, default=str))
