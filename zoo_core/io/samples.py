"""One entry point for writing a generated sample in the format the user asked for."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from zoo_core.errors import DataError

FORMATS = ("png", "nifti", "dicom")


def write_sample(
    array: Any,
    stem: str | Path,
    fmt: str,
    *,
    value_range: Sequence[float],
    channel_names: Sequence[str] | None = None,
    affine: Any = None,
    intensity_inverse: Callable[[Any], Any] | None = None,
    provenance: dict[str, Any] | None = None,
    modality: str | None = None,
    bits: int = 8,
) -> list[Path]:
    """Write one sample ``(C, *spatial)`` (model values in ``value_range``) and return the
    files. ``stem`` is the path without suffix (``out/sample_0001``).

    PNG shows the model's value range (``bits`` 8 or 16); NIfTI and DICOM store physical
    values through ``intensity_inverse`` (e.g. ``CTWindow.inverse`` for HU) with the geometry
    of ``affine`` (4x4 RAS, default 1 mm identity). ``modality`` (default
    ``provenance["modality"]``, from the model card) picks the DICOM IOD. Every file is marked
    synthetic and carries ``provenance``.
    """
    from zoo_core.io.dicom import write_dicom
    from zoo_core.io.nifti import write_nifti
    from zoo_core.io.png import write_png

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "png":
        return write_png(
            array,
            stem,
            value_range=value_range,
            channel_names=channel_names,
            bits=bits,
            provenance=provenance,
        )
    if fmt == "nifti":
        return write_nifti(
            array,
            stem,
            affine=affine,
            channel_names=channel_names,
            intensity_inverse=intensity_inverse,
            provenance=provenance,
        )
    if fmt == "dicom":
        return write_dicom(
            array,
            stem,
            affine=affine,
            channel_names=channel_names,
            intensity_inverse=intensity_inverse,
            modality=modality,
            provenance=provenance,
        )
    raise DataError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}.")
