"""Small real training sets built from images that installed packages ship (no download).

``mni152``: nilearn's MNI152 T1 template, brain-extracted with its brain mask as BraTS images
are, with the grey- and white-matter probability maps as the segmentation channels, in the
``slices`` layout (``SUBJECT_<key>.nii.gz``). ``fundus``: scikit-image's retina photograph
(CC0) with a pseudo vessel map from a Sato vesselness filter on the green channel, in the
``images`` layout, as rotated and mirrored copies (one photograph is not a distribution).
Both write a ``labels.csv`` (name,label) for ``zoo pggan encode``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from zoo_core.plugin_api import (
    MNI152_KINDS,
    DataError,
    load_retina,
    save_volume,
)
from zoo_core.plugin_api import (
    load_mni152 as shipped_mni152,
)


def _block_mean(array: np.ndarray, factor: int) -> np.ndarray:
    x, y, z = (s - s % factor for s in array.shape)
    a = array[:x, :y, :z].reshape(x // factor, factor, y // factor, factor, z // factor, factor)
    return a.mean(axis=(1, 3, 5))


def load_mni152(resolution: int = 1) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The T1, GM and WM templates nilearn ships (``load_mni152_template`` & co. read the same
    files) at 1 mm, or 2 mm by 2x2x2 block means; returns ``({key: volume}, affine)``."""
    if resolution not in (1, 2):
        raise DataError(f"MNI152 templates come at 1 or 2 mm, not {resolution} mm.")
    volumes, affine = {}, None
    for key in MNI152_KINDS:
        array, affine = shipped_mni152(key)
        array /= max(float(array.max()), 1e-6)  # to [0, 1], as nilearn's loaders do
        if resolution == 2:
            array = _block_mean(array, 2)
        volumes[key] = array
    if resolution == 2:
        centre = affine @ np.array([0.5, 0.5, 0.5, 1.0])  # the first 2x2x2 block's centre
        affine = affine @ np.diag([2.0, 2.0, 2.0, 1.0])
        affine[:3, 3] = centre[:3]
    return volumes, affine


def prepare_mni152(out_dir: str | Path, resolution: int = 1, held_out: bool = False) -> Path:
    """Write ``out_dir/mni152/mni152_{t1,gm,wm}.nii.gz`` and ``out_dir/labels.csv``.

    The brain is extracted as nilearn's ``load_mni152_brain_mask`` does (T1 > 0.2), as BraTS
    images are brain-extracted. ``labels.csv`` labels each axial slice ``mni152_zNNN`` with
    its height in the brain (inferior/middle/superior third), the kind of label the paper's
    t-SNE plots colour by.

    ``held_out`` writes the zoo's one MNI152 split instead (``mni152_split_index``: world
    z = 0 mm) as two such folders: ``out_dir/train`` (the inferior slab) to train on and
    ``out_dir/test`` (the superior slab) to measure on. Neighbouring slices are near copies,
    so a random split of slices would leak. Returns the training folder.
    """
    from zoo_core.plugin_api import mni152_split_index

    volumes, affine = load_mni152(resolution)
    mask = volumes["t1"] > 0.2
    brain = {
        key: np.where(mask, np.clip(array, 0.0, None), 0.0).astype(np.float32)
        for key, array in volumes.items()
    }
    brain_z = np.flatnonzero(mask.any(axis=(0, 1)))
    brain_range = (brain_z.min(), brain_z.max())
    if not held_out:
        return _write_mni152(Path(out_dir), brain, affine, brain_range, 0)
    split = mni152_split_index(affine)
    top = affine.copy()
    top[:3, 3] = (affine @ np.array([0.0, 0.0, split, 1.0]))[:3]  # the slab's first voxel
    bottom = {key: array[:, :, :split] for key, array in brain.items()}
    upper = {key: array[:, :, split:] for key, array in brain.items()}
    out = Path(out_dir)
    _write_mni152(out / "test", upper, top, brain_range, split)
    return _write_mni152(out / "train", bottom, affine, brain_range, 0)


def _write_mni152(
    out: Path,
    volumes: dict[str, np.ndarray],
    affine: np.ndarray,
    brain_range: tuple[int, int],
    z_offset: int,
) -> Path:
    """One ``slices``-layout folder and its ``labels.csv``: each slice's third of the whole
    brain's axial range ``brain_range``, the folder's first slice being ``z_offset``."""
    folder = out / "mni152"
    folder.mkdir(parents=True, exist_ok=True)
    for key, array in volumes.items():
        path = folder / f"mni152_{key}.nii.gz"
        save_volume(array, affine, path, "MNI152 2009a sym (nilearn), brain-masked")
    low, high = brain_range
    depth = next(iter(volumes.values())).shape[2]
    with open(out / "labels.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "label"])
        for z in range(depth):
            level = z + z_offset
            third = min(2, max(0, int(3 * (level - low) / max(1, high - low + 1))))
            writer.writerow([f"mni152_z{z:03d}", ("inferior", "middle", "superior")[third]])
    return folder


#: The side (pixels) at which the vesselness filter's scales and rim margin are tuned.
VESSEL_WORK_SIZE = 256


def vesselness(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(ridge strength, inner field)`` of a fundus photograph ``(H, W, 3)`` uint8 at
    :data:`VESSEL_WORK_SIZE`: a Sato ridge filter on the CLAHE-equalised green channel, 0
    outside the field of view and near its rim, where the filter answers to the edge itself.

    Vessels are dark ridges, best contrasted in green. Both the pseudo vessel maps the fundus
    data are trained on and the agreement figure of generated photographs come from here.
    """
    from scipy import ndimage
    from skimage import exposure, filters

    green = rgb[..., 1].astype(np.float32) / 255.0
    field = rgb.mean(axis=-1) > 20  # the bright disc of the photograph
    green = exposure.equalize_adapthist(green, clip_limit=0.01)  # CLAHE, as the paper does
    ridges = filters.sato(green, sigmas=(1, 2, 3), black_ridges=True)
    inner = ndimage.binary_erosion(field, iterations=6)
    ridges[~inner] = 0.0
    return ridges, inner


def vessel_map(rgb: np.ndarray, quantile: float = 0.88) -> np.ndarray:
    """A binary pseudo vessel map: :func:`vesselness`, thresholded.

    The threshold keeps the top ``1 - quantile`` of vesselness inside the field of view,
    roughly the vessel fraction of a fundus photograph; this stands in for the paper's U-net
    segmentation (sec. 2.1).
    """
    ridges, inner = vesselness(rgb)
    threshold = np.quantile(ridges[inner], quantile)
    return (ridges > threshold).astype(np.uint8) * 255


def prepare_fundus(out_dir: str | Path, size: int = 512, copies: int = 16) -> Path:
    """Write ``images/`` and ``vessels/`` PNGs (``copies`` rotated/mirrored versions)."""
    from PIL import Image

    if copies < 1:
        raise DataError("copies must be at least 1.")
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "vessels").mkdir(parents=True, exist_ok=True)
    retina = Image.fromarray(load_retina())
    photo = retina.resize((size, size), Image.Resampling.LANCZOS)
    # The filter's scales and rim margin are tuned at 256 px; the map is resized from there.
    side = (VESSEL_WORK_SIZE, VESSEL_WORK_SIZE)
    work = np.asarray(retina.resize(side, Image.Resampling.LANCZOS))
    vessels = Image.fromarray(vessel_map(work)).resize((size, size), Image.Resampling.NEAREST)
    angles = np.linspace(-20.0, 20.0, max(1, (copies + 1) // 2))
    rows = []
    for i in range(copies):
        mirrored = i % 2 == 1
        angle = float(angles[(i // 2) % len(angles)])
        image, seg = photo, vessels
        if mirrored:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            seg = seg.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        image = image.rotate(angle, resample=Image.Resampling.BILINEAR)
        seg = seg.rotate(angle, resample=Image.Resampling.NEAREST)
        name = f"retina_{i:02d}"
        image.save(out / "images" / f"{name}.png")
        seg.save(out / "vessels" / f"{name}.png")
        rows.append([name, "mirrored" if mirrored else "original"])
    with open(out / "labels.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "label"])
        writer.writerows(rows)
    return out
