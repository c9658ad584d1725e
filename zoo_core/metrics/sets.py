"""Image sets for evaluation: files or tensors, brought to one common scale, [0, 1].

Every metric compares real and generated images, so both must be on the same scale whatever
they were stored as. With a model, training images go through the model's own intensity
transform (``data.intensity``: CT window, MR percentiles, min-max), exactly as in training,
and its value range maps to [0, 1]. Generated PNG/JPEG files were written from the model's
value range to 0..255, so they are divided by 255; generated NIfTI/DICOM files hold physical
units (the writer applied the inverse intensity transform) and go through the transform too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo_core.errors import DataError, ZooError

PICTURES = ("png", "jpeg")


@dataclass
class ImageSet:
    """Images (N, C, *spatial) in [0, 1] with their names (file stems) and file metadata."""

    images: torch.Tensor
    names: list[str]
    metas: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def dims(self) -> int:
        return self.images.ndim - 2


def to_unit(x: torch.Tensor, value_range: tuple[float, float]) -> torch.Tensor:
    low, high = float(value_range[0]), float(value_range[1])
    if high <= low:
        raise ZooError(f"value range {value_range} must have low < high.")
    return ((torch.as_tensor(x).float() - low) / (high - low)).clamp(0, 1)


def from_unit(x: torch.Tensor, value_range: tuple[float, float]) -> torch.Tensor:
    low, high = float(value_range[0]), float(value_range[1])
    return x * (high - low) + low


def _paths(path: Path) -> list[Path]:
    from zoo_core.data.readers import image_format, list_images

    if not path.exists():
        raise DataError(f"{path}: no such file or folder.")
    if path.is_file():
        return [path]
    entries = list(path.iterdir())
    if any(e.is_file() and image_format(e) == "dicom" for e in entries):
        return [path]  # the folder is one DICOM series
    return list_images(path)


def _stack(arrays: list[np.ndarray], paths: list[Path]) -> torch.Tensor:
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        first = arrays[0].shape
        odd = next(p for a, p in zip(arrays, paths, strict=True) if a.shape != first)
        raise DataError(
            f"{odd}: shape {next(a.shape for a in arrays if a.shape != first)} differs from "
            f"{paths[0]} {first}; an evaluation set needs images of one size."
        )
    return torch.from_numpy(np.stack(arrays)).float()


def channel_files(
    paths: list[Path], channel_names: Sequence[str] | None
) -> list[tuple[str, list[Path]]]:
    """Samples as (name, files). ``zoo generate`` writes each channel group of a
    multi-channel sample to its own file (``sample_00000_T1.png``,
    ``sample_00000_grey-matter.png``...), and an evaluation needs the whole sample back.

    Files that do not all follow that naming stay one sample each.
    """
    from zoo_core.data.readers import strip_suffix
    from zoo_core.io.common import channel_groups, safe_suffix

    singles = [(strip_suffix(p.name), [p]) for p in paths]
    if not channel_names:
        return singles
    groups = channel_groups(len(channel_names), channel_names)
    suffixes = [f"_{safe_suffix(name)}" for name, _ in groups if name is not None]
    if len(suffixes) < 2:
        return singles
    samples: dict[str, dict[str, Path]] = {}
    for stem, (p,) in singles:
        suffix = next((s for s in suffixes if stem.endswith(s)), None)
        if suffix is None:
            return singles
        samples.setdefault(stem[: -len(suffix)], {})[suffix] = p
    for base, found in samples.items():
        if len(found) != len(suffixes):
            missing = ", ".join(s[1:] for s in suffixes if s not in found)
            raise DataError(
                f"{base}: no file for channel(s) {missing}; each sample of this model is "
                f"{' + '.join(s[1:] for s in suffixes)}, one file each, as `zoo generate` "
                "writes them."
            )
    return [(base, [samples[base][s] for s in suffixes]) for base in sorted(samples)]


def read_set(
    path: str | Path,
    *,
    transform: Any = None,
    model_range: tuple[float, float] = (-1.0, 1.0),
    pictures_are_outputs: bool = False,
    value_range: tuple[float, float] | None = None,
    channel_names: Sequence[str] | None = None,
) -> ImageSet:
    """Read a file, a DICOM series folder or a folder of images into an :class:`ImageSet`.

    ``transform`` is the model's intensity transform (unfitted); ``pictures_are_outputs``
    says PNG/JPEG files are generated outputs (0..255 = the model's value range).
    ``value_range`` overrides everything: the files' values span it. With the model's
    ``channel_names``, a sample written as one file per channel group is read as one item.
    """
    samples = channel_files(_paths(Path(path)), channel_names)
    items = [_read_item(files, transform, model_range, pictures_are_outputs, value_range)
             for _, files in samples]  # fmt: skip
    return ImageSet(
        _stack([array for array, _ in items], [files[0] for _, files in samples]),
        [name for name, _ in samples],
        [meta for _, meta in items],
    )


def _read_item(
    group: list[Path],
    transform: Any,
    model_range: tuple[float, float],
    pictures_are_outputs: bool,
    value_range: tuple[float, float] | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One sample in [0, 1]: its files read and their channels concatenated."""
    from zoo_core.data.readers import read_image

    arrays, metas = [], []
    for p in group:
        array, meta = read_image(p)
        fmt = meta.get("format")
        if value_range is not None:
            unit = to_unit(torch.from_numpy(array), value_range)
        elif fmt in PICTURES and (pictures_are_outputs or transform is None):
            unit = torch.from_numpy(array).float() / 255.0
        elif transform is not None:
            unit = to_unit(torch.as_tensor(transform.fit(array).forward(array)), model_range)
        else:
            raise ZooError(
                f"{p}: cannot tell the value range of {fmt} data without a model; pass "
                "value_range=(low, high) (`--range LOW HIGH`)."
            )
        arrays.append(unit.numpy())
        metas.append(meta)
    if len(arrays) > 1 and len({a.shape[1:] for a in arrays}) > 1:
        raise DataError(
            f"{group[0]}: the channel files of this sample differ in size "
            f"({', '.join(str(a.shape[1:]) for a in arrays)})."
        )
    return np.concatenate(arrays), metas[0]


#: Real sets read through a training pipeline keep at most this many items, evenly spaced.
MAX_TRAINING_ITEMS = 2000


def training_set(model: Any, path: str | Path, limit: int | None = MAX_TRAINING_ITEMS) -> ImageSet:
    """Real images read the way the model was trained on them: the architecture's dataset
    (slices of volumes, segmentation channels, size and scaling from ``model.config.data``).

    This is the only fair real set for a model whose training data are not plain image files
    of its output shape, e.g. a 2D model trained on slices of NIfTI volumes. The training
    augmentation (``data.augment``, ``data.jitter_size``) is left out: a set that is measured
    holds the images as they are, the same on every read.
    """
    from omegaconf import read_write

    from zoo_core.registry import get_registry
    from zoo_core.training.run import training_dataset

    arch = get_registry().architecture(model.card.zoo["architecture"])
    data_cfg = model.config.data.copy()
    with read_write(data_cfg):
        for key, off in (("augment", False), ("jitter_size", 0)):
            if key in data_cfg:
                data_cfg[key] = off
    dataset = training_dataset(arch, data_cfg, Path(path))
    if len(dataset) == 0:
        raise DataError(f"{path}: the {arch.name} data pipeline finds no training items here.")
    index = list(range(len(dataset)))
    if limit is not None and limit < len(dataset):
        index = torch.linspace(0, len(dataset) - 1, limit).round().long().tolist()
    images = torch.stack([torch.as_tensor(dataset[i]["target"]).float() for i in index])
    note = f"real set: {len(index)} of {len(dataset)} training items read as {arch.name} trains"
    return ImageSet(
        to_unit(images, tuple(model.value_range)), [f"real_{i:05d}" for i in index], [], [note]
    )


def tensor_set(
    images: torch.Tensor, value_range: tuple[float, float], prefix: str = "item"
) -> ImageSet:
    images = torch.as_tensor(images)
    if images.ndim not in (4, 5):
        raise ZooError(f"expected images (N, C, H, W[, D]), got shape {tuple(images.shape)}.")
    return ImageSet(to_unit(images, value_range), [f"{prefix}_{i:05d}" for i in range(len(images))])
