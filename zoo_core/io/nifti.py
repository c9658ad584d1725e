"""NIfTI output with nibabel: geometry from the affine, marked synthetic three ways.

* ``descrip`` (80 bytes) starts with ``SYNTHETIC``;
* the intent name is ``SYNTHETIC`` (intent code stays 0, so viewers treat it as an image);
* a header extension (code 6, "comment") holds the provenance JSON.

Values are written in physical units (e.g. HU) when an ``intensity_inverse`` is given, as
float32 so no rounding is added on top of the model's own error.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zoo_core.errors import DataError
from zoo_core.io.common import (
    SYNTHETIC_NOTE,
    channel_names_for,
    physical,
    provenance_json,
    safe_suffix,
    to_numpy,
)
from zoo_core.weights import atomic_path

#: NIfTI extension code 6 is NIFTI_ECODE_COMMENT: free text, here JSON.
COMMENT_ECODE = 6


def check_affine(affine: Any) -> np.ndarray:
    if affine is None:
        return np.eye(4)
    affine = to_numpy(affine)
    if affine.shape != (4, 4) or not np.isfinite(affine).all():
        raise DataError(f"affine must be a finite 4x4 matrix, got shape {affine.shape}.")
    if abs(np.linalg.det(affine[:3, :3])) < 1e-12:
        raise DataError("affine is singular (a zero voxel size or parallel axes).")
    return affine


def nifti_image(volume: np.ndarray, affine: np.ndarray, provenance: dict[str, Any] | None):
    """A Nifti1Image of one channel with the synthetic marks and its geometry."""
    import nibabel as nib

    image = nib.Nifti1Image(volume.astype(np.float32), affine)
    header = image.header
    header.set_sform(affine, code="aligned")
    header.set_qform(affine, code="aligned")
    header.set_xyzt_units("mm")
    header.set_intent("none", (), name="SYNTHETIC")
    header["descrip"] = SYNTHETIC_NOTE[:79].encode("ascii")
    if volume.size:
        header["cal_min"], header["cal_max"] = float(volume.min()), float(volume.max())
    ext = nib.nifti1.Nifti1Extension(COMMENT_ECODE, provenance_json(provenance).encode("utf-8"))
    header.extensions.append(ext)
    return image


def write_nifti(
    array: Any,
    stem: Path,
    *,
    affine: Any = None,
    channel_names: Sequence[str] | None = None,
    intensity_inverse: Callable[[Any], Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> list[Path]:
    """``(C, X, Y[, Z])`` -> ``stem.nii.gz`` or one ``stem_<channel>.nii.gz`` per channel."""
    data = to_numpy(array)
    if data.ndim not in (3, 4):
        raise DataError(
            f"NIfTI output needs (C, X, Y) or (C, X, Y, Z), got shape {tuple(data.shape)}."
        )
    values = physical(data, intensity_inverse)
    affine = check_affine(affine)
    names = channel_names_for(data.shape[0], channel_names)
    written = []
    for i, name in enumerate(names):  # one channel per file: NIfTI has no colour model
        suffix = "" if len(names) == 1 else f"_{safe_suffix(name)}"
        path = stem.with_name(stem.name + suffix + ".nii.gz")
        payload = gzip.compress(nifti_image(values[i], affine, provenance).to_bytes(), 6)
        with atomic_path(path) as tmp:
            tmp.write_bytes(payload)
        written.append(path)
    return written
