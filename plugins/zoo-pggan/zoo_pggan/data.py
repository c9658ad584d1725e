"""Training data for the progressive GAN: image channels stacked with segmentation channels.

The generator makes the image and its segmentation together and the critic judges them
together (Beers et al., sec. 4.2), so each training item is one tensor ``(C_image + C_seg, H, W)``
in [-1, 1] at ``data.spatial_size`` (the final resolution). The model pools it down to the
resolution being trained, so one dataset serves every phase.

Two layouts (see :class:`zoo_pggan.config.PGGANDataConfig`): ``images`` (fundus photographs
with vessel maps of the same name) and ``slices`` (NIfTI volumes per subject, cut into 2D
slices, with a label volume split into one channel per label or probability maps).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from zoo_core.plugin_api import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
NIFTI_SUFFIXES = (".nii.gz", ".nii")


class StackedImages(Dataset):
    """Items ``{"target": (C, H, W) float tensor in [-1, 1], "name": str}`` from one array."""

    def __init__(self, array: np.ndarray, names: list[str], channels: list[str]) -> None:
        self.array = array
        self.names = names
        self.channels = channels

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, index: int) -> dict[str, Any]:
        target = torch.from_numpy(np.asarray(self.array[index], dtype=np.float32))
        return {"target": target, "name": self.names[index]}


def training_dataset(data_cfg: Any, path: str | Path) -> StackedImages:
    """The dataset the ArchSpec names: ``images`` or ``slices`` mode from a folder."""
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"data folder {root} does not exist (pass --data DIR).")
    size = _spatial_size(data_cfg)
    if data_cfg.mode == "images":
        return _image_dataset(data_cfg, root, size)
    if data_cfg.mode == "slices":
        return _slice_dataset(data_cfg, root, size)
    raise DataError(f"data.mode {data_cfg.mode!r}: the pggan plugin reads 'images' or 'slices'.")


def example_data(data_cfg: Any, folder: Path) -> None:
    """``ArchSpec.example_data``: two small synthetic cases in the layout of ``data.mode``
    (pictures with their maps, or a subject's volumes per key), for the conformance kit."""
    from zoo_core.testing import phantom, write_image, write_volume

    root = Path(folder)
    size = _spatial_size(data_cfg)
    seg_keys = list(data_cfg.segmentation_keys)
    labels = [float(v) for v in data_cfg.label_values]
    for case in range(2):
        if data_cfg.mode == "images":
            colour = 1 if int(data_cfg.channels) - len(seg_keys) == 1 else 3
            write_image(phantom((size, size), case), root / data_cfg.image_dir / f"case{case}.png",
                        colour)  # fmt: skip
            for key in seg_keys:
                vessels = phantom((size, size), case + 5) > 0.6
                write_image(vessels, root / key / f"case{case}.png")
            continue
        shape = (size, size, 4)
        for i, key in enumerate(data_cfg.image_keys):
            write_volume(phantom(shape, case, intensity="mr") * (1 + 0.1 * i),
                         root / f"case{case}_{key}.nii.gz")  # fmt: skip
        for i, key in enumerate(seg_keys):
            unit = phantom(shape, case + 5 + i)
            if labels:  # one label volume: its foreground split between the label values
                seg = np.zeros(shape, np.float32)
                for k, value in enumerate(labels):
                    seg[unit > 0.2 + 0.8 * k / len(labels)] = value
            else:  # a probability map
                seg = unit
            write_volume(seg, root / f"case{case}_{key}.nii.gz")


def _spatial_size(data_cfg: Any) -> int:
    size = list(data_cfg.spatial_size)
    if len(size) != 2 or size[0] != size[1]:
        raise DataError(f"data.spatial_size must be [S, S] (square 2D), not {size}.")
    return int(size[0])


# -- geometry ---------------------------------------------------------------------------------


def fit_square(
    array: np.ndarray, size: int, nearest: bool = False, fill: float = -1.0
) -> np.ndarray:
    """(C, H, W) -> (C, size, size): centre-pad to a square, then resize if needed.

    An image that nearly fits (at least 7/8 of ``size``, as BraTS's 240x240 slices in 256x256)
    is padded with the background value and keeps its native pixels; others are padded to a
    square and resized: area-averaged down, bilinear up, nearest for hard label maps so that
    labels stay -1/1.
    """
    c, h, w = array.shape
    longest = max(h, w)
    side = size if 8 * longest >= 7 * size and longest <= size else longest
    out = np.full((c, side, side), fill, dtype=np.float32)
    top, left = (side - h) // 2, (side - w) // 2
    out[:, top : top + h, left : left + w] = array
    if side == size:
        return out
    tensor = torch.from_numpy(out)[None]
    if nearest:
        tensor = F.interpolate(tensor, size=(size, size), mode="nearest")
    elif side > size:
        tensor = F.interpolate(tensor, size=(size, size), mode="area")
    else:
        tensor = F.interpolate(tensor, size=(size, size), mode="bilinear", align_corners=False)
    return tensor[0].numpy()


# -- images mode (fundus) ---------------------------------------------------------------------


def _read_picture(path: Path, channels: int) -> np.ndarray:
    """(channels, H, W) in [0, 1] from an 8- or 16-bit picture (zoo_core's reader)."""
    from zoo_core.plugin_api import read_image

    array, _ = read_image(path)
    array = array[:3] if array.shape[0] == 4 else array  # drop an alpha channel
    if array.shape[0] == 3 and channels == 1:
        array = array.mean(axis=0, keepdims=True)
    elif array.shape[0] == 1 and channels == 3:
        array = np.repeat(array, 3, axis=0)
    scale = 65535.0 if array.max() > 255 else 255.0
    return (array / scale).astype(np.float32)


def _find_by_stem(folder: Path, stem: str) -> Path | None:
    for suffix in IMAGE_SUFFIXES:
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _image_dataset(data_cfg: Any, root: Path, size: int) -> StackedImages:
    image_dir = root / data_cfg.image_dir
    files = sorted(p for p in image_dir.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(
            f"no images ({', '.join(IMAGE_SUFFIXES)}) in {image_dir}; put the photographs in "
            f"{data_cfg.image_dir}/ and the maps in "
            f"{', '.join(k + '/' for k in data_cfg.segmentation_keys)} with the same names "
            "(`zoo pggan prepare-data fundus OUT` writes an example)."
        )
    seg_keys = list(data_cfg.segmentation_keys) if data_cfg.segmentation else []
    colour = 1 if data_cfg.channels - len(seg_keys) == 1 else 3
    items, names = [], []
    for file in files:
        channels = [_read_picture(file, colour)]
        for key in seg_keys:
            seg_file = _find_by_stem(root / key, file.stem)
            if seg_file is None:
                raise DataError(f"{file} has no segmentation map {root / key / file.stem}.png")
            seg = _read_picture(seg_file, 1)
            if seg.shape[1:] != channels[0].shape[1:]:
                raise DataError(
                    f"{seg_file} is {seg.shape[1:]}, its image {file} is {channels[0].shape[1:]}"
                )
            channels.append(seg[:1])
        stacked = np.concatenate(channels) * 2.0 - 1.0
        items.append(fit_square(stacked, size))
        names.append(file.stem)
    return StackedImages(np.stack(items), names, _channel_names(data_cfg, seg_keys))


def _channel_names(data_cfg: Any, seg_keys: list[str]) -> list[str]:
    image = list(data_cfg.image_keys) if data_cfg.mode == "slices" else [data_cfg.image_dir]
    if data_cfg.segmentation and len(seg_keys) == 1 and list(data_cfg.label_values):
        return image + [f"{seg_keys[0]}={v}" for v in data_cfg.label_values]
    return image + seg_keys


# -- slices mode (MR volumes) -----------------------------------------------------------------


@dataclass
class Subject:
    name: str
    images: list[Path]
    segmentation: list[Path]


def _strip_nifti(path: Path) -> str:
    name = path.name
    for suffix in NIFTI_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def find_subjects(root: Path, image_keys: list[str], seg_keys: list[str]) -> list[Subject]:
    """Subjects with a ``NAME_<key>.nii[.gz]`` volume for every key (BraTS's layout)."""
    first = image_keys[0]
    subjects = []
    for path in sorted(root.rglob(f"*_{first}.nii*")):
        stem = _strip_nifti(path)
        if not stem.endswith(f"_{first}"):
            continue
        prefix = stem[: -len(first) - 1]
        found: dict[str, Path] = {}
        for key in image_keys + seg_keys:
            match = [path.parent / f"{prefix}_{key}{s}" for s in NIFTI_SUFFIXES]
            match = [m for m in match if m.is_file()]
            if not match:
                raise DataError(
                    f"subject {prefix} in {path.parent} has no {prefix}_{key}.nii.gz "
                    f"(data.image_keys={image_keys}, data.segmentation_keys={seg_keys})."
                )
            found[key] = match[0]
        subjects.append(
            Subject(prefix, [found[k] for k in image_keys], [found[k] for k in seg_keys])
        )
    if not subjects:
        raise DataError(
            f"no volumes named *_{first}.nii.gz under {root}; expected SUBJECT_<key>.nii.gz for "
            f"keys {image_keys + seg_keys} (`zoo pggan prepare-data mni152 OUT` writes an example)."
        )
    return subjects


def _load_volume(path: Path) -> np.ndarray:
    """A 3D volume (zoo_core's reader) turned to RAS axes, so axis 2 is axial."""
    import nibabel as nib

    from zoo_core.plugin_api import read_image

    array, meta = read_image(path)
    if array.ndim != 4 or array.shape[0] != 1:
        raise DataError(f"{path}: expected one 3D volume, got array shape {tuple(array.shape)}.")
    orientation = nib.orientations.io_orientation(meta["affine"])
    return np.ascontiguousarray(nib.orientations.apply_orientation(array[0], orientation))


def normalise(volume: np.ndarray, mask: np.ndarray, data_cfg: Any) -> np.ndarray:
    """One MR volume to [-1, 1] with zoo_core's transform for ``data.intensity``, fitted on
    the brain voxels only; background stays at -1.

    ``mr`` maps the brain's 0.5th-99.5th percentiles (``data.mr_percentiles``) to [-1, 1].
    The paper standardises each volume to zero mean and unit variance instead; a bounded
    range is what the zoo's [-1, 1] outputs need, and percentiles resist bright outliers.
    """
    from zoo_core.plugin_api import intensity_transform

    if data_cfg.intensity == "none":  # values taken as already in [0, 1]
        out = volume * 2.0 - 1.0
    else:
        template = intensity_transform(data_cfg)
        fitted = template.fit(volume[mask] if mask.any() else volume)
        out = np.asarray(fitted(volume), dtype=np.float32)
    out = np.where(mask, out, -1.0)
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def _subject_channels(data_cfg: Any, subject: Subject, seg_on: bool) -> np.ndarray:
    """(C, X, Y, Z) in [-1, 1]: normalised modalities, then segmentation channels."""
    volumes = [_load_volume(p) for p in subject.images]
    shape = volumes[0].shape
    for path, volume in zip(subject.images, volumes, strict=True):
        if volume.shape != shape:
            raise DataError(f"{path} is {volume.shape}, {subject.images[0]} is {shape}.")
    mask = np.zeros(shape, dtype=bool)
    for volume in volumes:
        mask |= volume != 0
    channels = [normalise(v, mask, data_cfg) for v in volumes]
    if seg_on:
        labels = list(data_cfg.label_values)
        for path in subject.segmentation:
            seg = _load_volume(path)
            if seg.shape != shape:
                raise DataError(f"{path} is {seg.shape}, the images are {shape}.")
            if labels:  # one label volume -> one binary channel per label value
                channels += [
                    np.where(np.rint(seg) == v, 1.0, -1.0).astype(np.float32) for v in labels
                ]
            else:  # a probability map in [0, 1]
                channels.append((np.clip(seg, 0.0, 1.0) * 2.0 - 1.0).astype(np.float32))
    return np.stack(channels)


def _cache_key(data_cfg: Any, subjects: list[Subject], size: int, seg_on: bool) -> str:
    parts: list[Any] = [
        size,
        seg_on,
        data_cfg.intensity,
        data_cfg.slice_axis,
        data_cfg.min_foreground,
    ]
    parts += [list(data_cfg.label_values)]
    for subject in subjects:
        for p in subject.images + subject.segmentation:
            stat = p.stat()
            parts.append([str(p.resolve()), stat.st_size, stat.st_mtime_ns])
    return hashlib.sha1(json.dumps(parts).encode()).hexdigest()[:16]


def _slice_dataset(data_cfg: Any, root: Path, size: int) -> StackedImages:
    import nibabel as nib

    seg_on = bool(data_cfg.segmentation)
    image_keys = list(data_cfg.image_keys)
    seg_keys = list(data_cfg.segmentation_keys) if seg_on else []
    if seg_on and len(seg_keys) != 1 and list(data_cfg.label_values):
        raise DataError(
            "data.label_values splits ONE label volume into channels: give one "
            "segmentation_keys entry, or label_values: [] for one probability map per key."
        )
    subjects = find_subjects(root, image_keys, seg_keys)
    n_seg = (len(data_cfg.label_values) or len(seg_keys)) if seg_on else 0
    n_channels = len(image_keys) + (n_seg if seg_keys else 0)
    axis = int(data_cfg.slice_axis)
    upper = sum(int(nib.load(str(s.images[0])).shape[axis]) for s in subjects)

    cache_dir = Path(data_cfg.cache_dir) if data_cfg.cache_dir else root / ".zoo-cache"
    key = _cache_key(data_cfg, subjects, size, seg_on)
    cache_array, cache_index = cache_dir / f"pggan-{key}.npy", cache_dir / f"pggan-{key}.json"
    if cache_index.is_file() and cache_array.is_file():
        names = json.loads(cache_index.read_text())["names"]
        array = np.load(cache_array, mmap_mode="r")[: len(names)]
        return StackedImages(array, names, _channel_names(data_cfg, seg_keys))

    nbytes = upper * n_channels * size * size * 4
    in_memory = nbytes <= int(data_cfg.max_memory_mb) * 2**20
    if in_memory:
        array = np.empty((upper, n_channels, size, size), dtype=np.float32)
    else:
        cache_dir.mkdir(parents=True, exist_ok=True)
        array = np.lib.format.open_memmap(
            cache_array, mode="w+", dtype=np.float16, shape=(upper, n_channels, size, size)
        )
    names: list[str] = []
    n_label = n_channels - len(image_keys)
    for subject in subjects:
        volume = np.moveaxis(_subject_channels(data_cfg, subject, seg_on), axis + 1, 1)
        # Rotate each slice a quarter turn so the anterior side is at the top of the picture.
        volume = np.rot90(volume, axes=(2, 3))
        brain = volume[: len(image_keys)].max(axis=0) > -1.0  # (Z, X, Y)
        for z in range(volume.shape[1]):
            if brain[z].mean() < float(data_cfg.min_foreground):
                continue
            image = fit_square(volume[: len(image_keys), z], size)
            parts = [image]
            if n_label:
                hard = bool(list(data_cfg.label_values))
                parts.append(fit_square(volume[len(image_keys) :, z], size, nearest=hard))
            array[len(names)] = np.concatenate(parts)
            names.append(f"{subject.name}_z{z:03d}")
    if not names:
        raise DataError(
            f"no slice of the volumes under {root} has data.min_foreground="
            f"{data_cfg.min_foreground} of its pixels inside the brain; lower it."
        )
    if in_memory:
        array = array[: len(names)]
    else:
        array.flush()
        array = np.load(cache_array, mmap_mode="r")[: len(names)]
        cache_index.write_text(json.dumps({"names": names}))
    return StackedImages(array, names, _channel_names(data_cfg, seg_keys))
