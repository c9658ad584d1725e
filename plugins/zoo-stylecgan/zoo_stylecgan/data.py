"""(CT slice, region map) pairs from a folder, each with a style slice from another patient.

Layout: CT images directly in ``DIR`` (NIfTI or DICOM in HU, 2D slices or 3D volumes cut
into slices along ``data.slice_axis``; PNG slices are read as the HU window ``data.hu_window``
drawn as 0..255) and, optionally, ``DIR/maps/`` with one map per image under the same name
(gray values ``data.label_values`` or class indices; a 3D map for a 3D volume). Without
``maps/`` the maps are derived from the HU values (:mod:`zoo_stylecgan.regions`).

Every item is ``{"target": CT (1, H, W) in [-1, 1], "label": map (1, H, W) int64,
"style": CT, "style_label": map}``: x_o, y and the style slice x_s with its map. The style
slice comes from another file (patient) when the folder has several, else from a slice at
least ``data.style_min_gap`` away; with ``data.style_pick=fixed`` it is always slice
``data.style_index``. 2D slices named ``<patient>_z<index>`` (what ``prepare-headct``
writes) count as slice ``index`` of ``patient``; any other file is a patient of its own. The
paper trains on 20 slices, so the slices are held in memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from zoo_core.plugin_api import (
    ConfigError,
    CTWindow,
    DataError,
    fit_to_size,
    gray_to_index,
    head_ct_path,
    list_images,
    load_head_ct,
    read_image,
    save_volume,
    strip_suffix,
)
from zoo_stylecgan.regions import region_map


@dataclass
class Slice:
    """One training slice: the CT in [-1, 1], its map, and where it came from."""

    image: torch.Tensor  # (1, H, W) float32
    label: torch.Tensor  # (1, H, W) int64
    source: int  # index of the patient it came from
    position: int  # slice index within that patient


def ct_to_unit(array: np.ndarray, fmt: str, window: CTWindow) -> np.ndarray:
    """A CT image as read -> [-1, 1]: HU through the window; PNG as the window drawn 0..max."""
    if fmt in ("png", "jpeg"):
        top = 65535.0 if float(array.max()) > 255 else 255.0
        return np.clip(array / top, 0.0, 1.0) * 2.0 - 1.0
    return np.asarray(window.forward(array), dtype=np.float32)


def read_map(path: Path, values: list[float], num_classes: int) -> np.ndarray:
    """A map image -> int64 class indices (gray values or indices accepted), channel first."""
    array, _ = read_image(path)
    if array.shape[0] != 1:
        array = array[:1]  # an RGB drawing of a gray map: the channels are equal
    array = np.rint(array)
    if array.min() >= 0 and array.max() < num_classes:
        return array.astype(np.int64)
    return np.asarray(gray_to_index(array, values, where=str(path)), dtype=np.int64)


_SLICE_NAME = re.compile(r"^(?P<patient>.+)_z(?P<index>\d+)$")


def patient_and_position(path: Path) -> tuple[str, int | None]:
    """``case7_z120.nii.gz`` -> ("case7", 120); other names are their own patient."""
    stem = strip_suffix(path.name)
    match = _SLICE_NAME.match(stem)
    if match:
        return match["patient"], int(match["index"])
    return stem, None


def _slices_of(volume: np.ndarray, axis: int) -> list[tuple[int, np.ndarray]]:
    """(index, 2D slice (1, ., .)) along spatial ``axis`` of ``(1, X, Y, Z)``; 2D passes."""
    if volume.ndim == 3:
        return [(0, volume)]
    return [(i, np.take(volume, i, axis=1 + axis)) for i in range(volume.shape[1 + axis])]


class RegionPairs(Dataset):
    """See the module docstring."""

    def __init__(self, data_cfg: Any, root: str | Path):
        self.cfg = data_cfg
        root = Path(root)
        if data_cfg.intensity != "ct":
            raise ConfigError(
                f"data.intensity={data_cfg.intensity!r}: the style cGAN trains on CT in HU; "
                "set data.intensity=ct (and data.hu_window)."
            )
        if data_cfg.style_pick not in ("random", "fixed"):
            raise ConfigError(
                f"data.style_pick must be random or fixed, not {data_cfg.style_pick!r}."
            )
        self.window = CTWindow(*[float(v) for v in data_cfg.hu_window])
        self.values = [float(v) for v in data_cfg.label_values]
        self.num_classes = len(self.values)
        if self.num_classes < 2:
            raise ConfigError("data.label_values must list the gray value of every region.")
        maps_dir = root / data_cfg.maps if data_cfg.maps else None
        self.derived = maps_dir is None or not maps_dir.is_dir()
        maps = {} if self.derived else {strip_suffix(p.name): p for p in list_images(maps_dir)}
        self.files = [p for p in list_images(root) if p != maps_dir]
        self.size = [int(s) for s in data_cfg.spatial_size]
        self.slices: list[Slice] = []
        patients: dict[str, int] = {}
        for path in self.files:
            label_path = None
            if not self.derived:
                label_path = maps.get(strip_suffix(path.name))
                if label_path is None:
                    raise DataError(
                        f"{maps_dir}: no map for {path.name}; every image needs a map with the "
                        f"same name in {data_cfg.maps}/ (or remove {data_cfg.maps}/ to derive "
                        "maps from the HU values)."
                    )
            patient, position = patient_and_position(path)
            self._add(patients.setdefault(patient, len(patients)), path, label_path, position)
        if not self.slices:
            raise DataError(
                f"{root}: no slice has a body share of at least data.min_foreground="
                f"{data_cfg.min_foreground}; check the images (and data.region_scheme)."
            )
        if data_cfg.style_pick == "fixed" and not 0 <= data_cfg.style_index < len(self.slices):
            raise ConfigError(
                f"data.style_index={data_cfg.style_index} is outside the {len(self.slices)} "
                "training slices."
            )

    def _add(self, source: int, path: Path, label_path: Path | None, named: int | None) -> None:
        array, meta = read_image(path)
        array = array[:1]
        fmt = meta["format"]
        labels = None
        if label_path is not None:
            labels = read_map(label_path, self.values, self.num_classes)
            if labels.shape[1:] != array.shape[1:]:
                raise DataError(
                    f"{label_path}: map shape {labels.shape[1:]} differs from its image "
                    f"{path.name} {array.shape[1:]}."
                )
        unit = ct_to_unit(array, fmt, self.window)
        axis = int(self.cfg.slice_axis)
        for (position, ct), (_, hu) in zip(
            _slices_of(unit, axis), _slices_of(array, axis), strict=True
        ):
            if labels is not None:
                label = np.take(labels, position, axis=1 + axis) if labels.ndim == 4 else labels
            else:
                hu_slice = self.window.inverse(ct) if fmt in ("png", "jpeg") else hu
                label = region_map(hu_slice, self.cfg.region_scheme)
            body = float((label != 0).mean())
            if self.cfg.skip_empty and body < float(self.cfg.min_foreground):
                continue
            image_t = torch.from_numpy(np.ascontiguousarray(ct, dtype=np.float32))
            label_t = torch.from_numpy(np.ascontiguousarray(label, dtype=np.int64))
            if self.size:
                background = float(image_t[label_t == 0].median()) if (label_t == 0).any() else -1
                mode = self.cfg.size_mode
                image_t = fit_to_size(image_t, self.size, mode, pad_value=background)
                label_t = fit_to_size(label_t, self.size, mode, label=True, pad_value=0)
            where = named if named is not None and unit.ndim == 3 else position
            self.slices.append(Slice(image_t.float(), label_t.long(), source, where))

    def __len__(self) -> int:
        return len(self.slices)

    def style_choice(self, index: int) -> int:
        """The style slice for item ``index``: another patient's, else a distant slice."""
        if self.cfg.style_pick == "fixed":
            return int(self.cfg.style_index)
        this = self.slices[index]
        others = [j for j, s in enumerate(self.slices) if s.source != this.source]
        if not others:
            gap = int(self.cfg.style_min_gap)
            others = [
                j for j, s in enumerate(self.slices) if abs(s.position - this.position) >= gap
            ]
        if not others:
            others = [j for j in range(len(self.slices)) if j != index] or [index]
        return others[int(torch.randint(len(others), (1,)))]

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        if not 0 <= index < len(self):
            raise IndexError(index)
        item, style = self.slices[index], self.slices[self.style_choice(index)]
        return {
            "target": item.image,
            "label": item.label,
            "style": style.image,
            "style_label": style.label,
        }


def region_pairs(data_cfg: Any, path: Path) -> RegionPairs:
    """``ArchSpec.dataset``: what ``zoo train stylecgan-model --data DIR`` reads."""
    return RegionPairs(data_cfg, path)


def example_data(data_cfg: Any, folder: Path) -> None:
    """``ArchSpec.example_data``: three small synthetic CT slices in HU (three patients) with
    their region maps in ``maps/``, for the conformance kit."""
    from PIL import Image

    from zoo_core.testing import phantom, write_volume

    side = tuple(int(s) for s in data_cfg.spatial_size[:2]) or (32, 32)
    values = np.asarray([float(v) for v in data_cfg.label_values], dtype=np.float32)
    maps = Path(folder) / str(data_cfg.maps or "maps")
    maps.mkdir(parents=True, exist_ok=True)
    for case in range(3):
        unit = phantom(side, case)
        regions = np.clip((unit * len(values)).astype(np.int64), 0, len(values) - 1)
        regions[unit > 0] = np.maximum(regions[unit > 0], 1)  # inside the body: no background
        hu = phantom(side, case, intensity="ct", hu_window=data_cfg.hu_window)
        write_volume(hu, Path(folder) / f"case{case}.nii.gz")
        Image.fromarray(values[regions].astype(np.uint8), mode="L").save(maps / f"case{case}.png")


def prepare_headct(
    out_dir: str | Path,
    *,
    every: int = 1,
    min_body: float = 0.15,
    split_z: int | None = None,
    size: int | None = None,
) -> Path:
    """Write the head CT's axial slices as 2D NIfTI (HU) plus their derived maps (PNG).

    ``OUT/<name>.nii.gz`` and ``OUT/maps/<name>.png``: a folder ``zoo train`` reads, and maps
    and style slices ready for ``zoo generate``. Slices whose brain covers less
    than ``min_body`` of the slice are skipped. With ``split_z`` the slices below that axial
    index go to ``OUT/train`` and the rest, a contiguous held-out slab, to ``OUT/test`` (each
    with its ``maps/``): neighbouring slices are near copies, so a random split would leak.
    With ``size`` each slice is resized (bilinear) to ``size`` x ``size`` before its map is
    derived, so map and CT agree pixel for pixel at the size a model trains at; a map made at
    full size and resized by nearest neighbour disagrees with the resized CT on 5-7 % of the
    pixels, most of them in the thin CSF and white-matter regions. These are copies of real
    data: no synthetic marker. Arrays are stored rows-first (anterior up) so that the PNG maps
    look right.
    """
    from nibabel.affines import voxel_sizes
    from PIL import Image

    from zoo_stylecgan.regions import to_gray

    out = Path(out_dir)
    hu, volume_affine = load_head_ct()
    if split_z is not None and not 0 < split_z < hu.shape[2]:
        raise DataError(f"split_z={split_z} must lie inside the scan's {hu.shape[2]} slices.")
    spacing = [float(s) for s in voxel_sizes(volume_affine)[:2]]
    if size is not None:
        spacing = [s * n / size for s, n in zip(spacing, hu.shape[:2], strict=True)]
    written = 0
    for z in range(0, hu.shape[2], max(int(every), 1)):
        picture = np.rot90(hu[:, :, z])  # (X, Y) RAS -> rows anterior-first, as viewers show
        if size is not None:
            full = torch.from_numpy(np.ascontiguousarray(picture, dtype=np.float32))[None]
            picture = np.rint(fit_to_size(full, [size, size], "resize")[0].numpy())  # as stored
        label = region_map(picture, "brain")
        if float((label != 0).mean()) < min_body:
            continue
        folder = out if split_z is None else out / ("train" if z < split_z else "test")
        (folder / "maps").mkdir(parents=True, exist_ok=True)
        name = f"headct_z{z:03d}"
        affine = np.diag([spacing[0], spacing[1], 1.0, 1.0])
        save_volume(
            np.ascontiguousarray(picture).astype(np.int16), affine, folder / f"{name}.nii.gz"
        )
        gray = to_gray(label, [0, 50, 100, 150, 200, 230]).astype(np.uint8)
        Image.fromarray(gray, mode="L").save(folder / "maps" / f"{name}.png")
        written += 1
    if not written:
        raise DataError(f"no slice of {head_ct_path()} has a brain share of {min_body}.")
    return out
