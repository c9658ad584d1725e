"""Finding and reading CT scans for this plugin, through the core's readers.

``zoo_core.data.read_image`` reads NIfTI and DICOM series (rescale slope/intercept applied,
so CT comes out in HU) with the affine; this module only adds "a single file is a dataset of
one scan" and the per-scan intensity transform of the config.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from zoo_core.plugin_api import (
    DataError,
    IntensityTransform,
    intensity_transform,
    list_images,
    read_image,
)


@dataclass
class Volume:
    hu: np.ndarray  # (X, Y, Z) float32
    affine: np.ndarray
    path: Path


def find_scans(path: str | Path, limit: int = 0) -> list[Path]:
    """One scan file, or every scan (file or DICOM series folder) in a folder, sorted."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist: pass a CT volume (.nii/.nii.gz) or a folder.")
    scans = [path] if path.is_file() else list_images(path)
    return scans[:limit] if limit else scans


def read_volume(path: str | Path) -> Volume:
    """One single-channel 3D scan in HU."""
    array, meta = read_image(path)
    if array.ndim != 4 or array.shape[0] != 1:
        raise DataError(f"{path}: expected a single-channel 3D CT, got shape {array.shape}")
    return Volume(array[0], np.asarray(meta["affine"]), Path(path))


def fit_transform(data_cfg: Any, hu: np.ndarray) -> IntensityTransform:
    """The config's HU window / histogram equalisation, fitted to one scan (invertible)."""
    return intensity_transform(data_cfg).fit(hu)
