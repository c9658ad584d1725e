"""Small data folders for the kit's training checks.

An architecture with its own dataset names ``ArchSpec(example_data="module:function")``: a
function ``(data_config, folder)`` that writes a few small files in the layout its
``dataset`` reads. For the others the kit writes a folder of the layout the core's
:func:`zoo_core.data.training_dataset` reads, from the ``data:`` section alone: a few
synthetic volumes (``slices``, ``blocks``, ``volumes``) or pictures (``images``), in
``condition/`` + ``target/`` when ``data.paired``, ``domain_a/`` + ``domain_b/`` when
``data.unpaired``, with label maps when ``data.labels`` names them.

The synthetic images are smooth blobs inside an ellipsoid on a dark background, the same for
the same seed, in the units ``data.intensity`` expects (HU for ``ct``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

#: Files written per folder: enough slices, blocks and pictures for batches of a few items.
FILES = 2


def phantom(
    shape: tuple[int, ...],
    seed: int = 0,
    *,
    intensity: str | None = None,
    hu_window: Any = (-1000.0, 1000.0),
) -> np.ndarray:
    """A synthetic image for example data: smooth blobs inside a centred ellipsoid that
    fills most of ``shape`` (every slice and block through the middle is mostly foreground),
    the same for the same ``seed``.

    Without ``intensity`` the values are in [0.2, 1] inside and 0 outside. With
    ``intensity="ct"`` they are HU: air (the window's bottom, at least -1000) outside and
    tissue spread over the window inside; with any other kind, positive units (x 1000).
    """
    rng = np.random.default_rng(seed)
    axes = [np.linspace(-1.0, 1.0, int(n), dtype=np.float32) for n in shape]
    grid = np.meshgrid(*axes, indexing="ij")
    inside = sum(g**2 for g in grid) <= 1.2
    values = np.zeros(tuple(int(n) for n in shape), dtype=np.float32)
    for _ in range(4):
        centre = rng.uniform(-0.6, 0.6, size=len(shape))
        width = rng.uniform(0.3, 0.7)
        values += np.exp(-sum((g - c) ** 2 for g, c in zip(grid, centre, strict=True)) / width)
    values = 0.2 + 0.8 * (values - values.min()) / max(float(np.ptp(values)), 1e-6)
    unit = np.where(inside, values, 0.0).astype(np.float32)
    if intensity is None or intensity == "none":
        return unit
    if intensity == "ct":
        low, high = (float(v) for v in hu_window)
        tissue = low + (high - low) * (0.15 + 0.7 * unit)
        return np.where(unit > 0, tissue, max(low, -1000.0)).astype(np.float32)
    return (unit * 1000.0).astype(np.float32)


def write_volume(array: Any, path: str | Path) -> Path:
    """Save a 2D or 3D array as NIfTI (identity affine, 1 mm voxels); returns the path."""
    import nibabel as nib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(np.asarray(array, dtype=np.float32), np.eye(4)), str(path))
    return path


def write_image(array: Any, path: str | Path, channels: int = 1) -> Path:
    """Save a 2D array as an 8-bit PNG, its maximum at 255 (RGB with ``channels=3``: three
    differently flipped copies, so the channels differ); returns the path."""
    from PIL import Image

    array = np.asarray(array, dtype=np.float32)
    pixels = np.clip(array / max(float(array.max()), 1e-6) * 255.0, 0, 255).astype(np.uint8)
    if channels == 3:
        pixels = np.stack([pixels, pixels[::-1], pixels[:, ::-1]], axis=-1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def _spatial(data_cfg: Any, mode: str) -> tuple[int, ...]:
    size = [int(s) for s in (data_cfg.spatial_size or [])]
    if mode == "images":
        return tuple(size[:2]) if len(size) >= 2 else (32, 32)
    if mode == "slices":
        side = size[:2] if len(size) >= 2 else [32, 32]
        return (*side, 6)
    if mode == "blocks":
        return tuple(size) if len(size) == 3 else (16, 16, 16)
    return tuple(size) if len(size) == 3 else (16, 16, 16)


def _write_folder(data_cfg: Any, folder: Path, seed: int, intensity: str) -> list[str]:
    mode = str(data_cfg.mode)
    channels = int(data_cfg.channels)
    shape = _spatial(data_cfg, mode)
    if mode == "images" and channels not in (1, 3):
        raise ValueError(f"data.channels={channels}: the kit writes grey or RGB pictures only")
    if mode != "images" and channels != 1:
        raise ValueError(f"data.channels={channels}: the kit writes single-channel volumes only")
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(FILES):
        if mode == "images":
            name = f"case{i}.png"
            write_image(phantom(shape, seed + i), folder / name, channels)
        else:
            name = f"case{i}.nii.gz"
            volume = phantom(shape, seed + i, intensity=intensity, hu_window=data_cfg.hu_window)
            write_volume(volume, folder / name)
        names.append(name)
    return names


def _write_labels(data_cfg: Any, folder: Path, root: Path, names: list[str], seed: int) -> None:
    """A label map per image: the phantom's foreground split into the classes."""
    spec = str(data_cfg.labels)
    values = [float(v) for v in data_cfg.label_values] or list(
        range(max(int(data_cfg.num_classes), 2))
    )
    shape = _spatial(data_cfg, str(data_cfg.mode))
    for i, name in enumerate(names):
        unit = phantom(shape, seed + i)
        classes = np.minimum((unit * len(values)).astype(np.int64), len(values) - 1)
        label = np.asarray(values, dtype=np.float32)[classes]
        stem = name.split(".")[0]
        suffix = name[len(stem) :]
        if spec.startswith(("_", "-", ".")):  # a name suffix: case0_seg.nii.gz beside case0
            path = folder / f"{stem}{spec}{suffix}"
        else:
            (root / spec).mkdir(parents=True, exist_ok=True)
            path = root / spec / name
        if suffix == ".png":
            from PIL import Image

            Image.fromarray(label.astype(np.uint8)).save(path)
        else:
            write_volume(label, path)


def write_core_layout(data_cfg: Any, folder: str | Path, seed: int = 0) -> Path:
    """Write a small folder that :func:`zoo_core.data.training_dataset` reads with
    ``data_cfg``: see the module docstring for the layouts. Returns ``folder``."""
    root = Path(folder)
    intensity = str(data_cfg.intensity)
    if data_cfg.unpaired:
        sides = [(root / "domain_a", seed + 10, True), (root / "domain_b", seed, True)]
    elif data_cfg.paired:
        sides = [(root / "condition", seed + 10, False), (root / "target", seed, True)]
    else:
        sides = [(root, seed, True)]
    for side, side_seed, labelled in sides:
        names = _write_folder(data_cfg, side, side_seed, intensity)
        if data_cfg.labels and labelled:
            _write_labels(data_cfg, side, root, names, side_seed)
    return root
