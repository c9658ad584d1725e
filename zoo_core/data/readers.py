"""Reading one medical image (NIfTI, DICOM, PNG/JPEG) through MONAI's readers.

Every reader failure becomes a :class:`~zoo_core.errors.DataError` that names the file, says
what is wrong with it and what to do, because a stack trace from deep inside nibabel or
pydicom tells a user neither. The readers themselves are MONAI's (``NibabelReader``,
``PydicomReader``, ``PILReader``), called directly rather than through ``LoadImage`` so that a
failing file is not retried by every other registered reader (which only adds noise).

Array conventions, kept by the writers in :mod:`zoo_core.io` so that reading back what was
written gives the same array:

* volumes (NIfTI, DICOM): ``(C, X, Y, Z)`` in voxel-index order, with a 4x4 RAS ``affine``
  mapping ``(i, j, k, 1)`` to millimetres (MONAI converts DICOM's LPS to RAS);
* 2D pictures (PNG/JPEG): ``(C, H, W)``, rows first, as torch and PIL show them.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np

from zoo_core.errors import DataError

NIFTI_SUFFIXES = (".nii.gz", ".nii")
DICOM_SUFFIXES = (".dcm",)
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg")
SUPPORTED = "NIfTI (.nii, .nii.gz), DICOM (.dcm or a folder holding one series), PNG or JPEG"


def image_format(path: str | Path) -> str | None:
    """``nifti``, ``dicom``, ``png`` or ``jpeg`` from the name (a folder is a DICOM series)."""
    path = Path(path)
    name = path.name.lower()
    if path.is_dir():
        return "dicom"
    if name.endswith(NIFTI_SUFFIXES):
        return "nifti"
    if name.endswith(DICOM_SUFFIXES):
        return "dicom"
    if name.endswith(".png"):
        return "png"
    if name.endswith((".jpg", ".jpeg")):
        return "jpeg"
    return None


def strip_suffix(name: str) -> str:
    """A file name without its image suffix, so ``a.nii.gz`` and ``a.png`` both give ``a``."""
    lower = name.lower()
    for suffix in NIFTI_SUFFIXES + DICOM_SUFFIXES + PICTURE_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _dicom_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _reader(fmt: str):
    from monai.data import NibabelReader, PILReader, PydicomReader

    if fmt == "nifti":
        return NibabelReader()
    if fmt == "dicom":
        # MONAI applies RescaleSlope/Intercept (so CT comes out in HU), stacks a folder's
        # slices by position and turns the LPS geometry into a RAS affine.
        return PydicomReader()
    return PILReader(reverse_indexing=False)


def _explain(path: Path, fmt: str, exc: BaseException) -> DataError:
    """Turn a library exception into a one-line message with what to do about it."""
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, EOFError | zlib.error) or "truncat" in detail.lower():
        what = f"is truncated or corrupt ({detail})"
        todo = "re-export or copy the file again"
    elif fmt == "dicom" and type(exc).__name__ == "InvalidDicomError":
        what = "is not a DICOM file (no DICM header)"
        todo = "remove it or export the series again as DICOM"
    elif type(exc).__name__ in ("UnidentifiedImageError", "ImageFileError"):
        what = f"is not a readable {fmt.upper()} image ({detail})"
        todo = "check that the file is what its name says"
    else:
        what = f"could not be read as {fmt.upper()} ({type(exc).__name__}: {detail})"
        todo = "check that the file is complete and is what its name says"
    return DataError(f"{path}: {what}; {todo}.")


def _affine_4x4(affine: Any, ndim: int) -> np.ndarray:
    """Embed a 2D (3x3) affine into 4x4 so every image carries the same kind of matrix."""
    affine = np.asarray(affine, dtype=np.float64)
    if affine.shape == (4, 4):
        return affine
    out = np.eye(4)
    out[:ndim, :ndim] = affine[:ndim, :ndim]
    out[:ndim, 3] = affine[:ndim, ndim]
    return out


def _check_path(path: Path, fmt: str | None) -> str:
    if not path.exists():
        raise DataError(f"{path}: no such file or folder; check the path.")
    if fmt is None:
        raise DataError(f"{path}: unknown image format; expected {SUPPORTED}.")
    if path.is_dir():
        files = _dicom_files(path)
        if not files:
            raise DataError(
                f"{path}: empty folder, no DICOM files in it; put the .dcm files of one series "
                "in it."
            )
    elif path.stat().st_size == 0:
        raise DataError(f"{path}: empty file (0 bytes); re-export or copy it again.")
    return fmt


def read_image(path: str | Path) -> tuple[np.ndarray, dict[str, Any]]:
    """Read one image or volume as float32 ``(C, *spatial)`` with its geometry.

    ``meta`` holds ``affine`` (4x4 RAS, numpy), ``spacing`` (mm per spatial axis),
    ``format``, ``path``, ``spatial_shape`` and, for DICOM, ``modality``.
    """
    path = Path(path)
    fmt = _check_path(path, image_format(path))
    reader = _reader(fmt)
    try:
        raw, raw_meta = reader.get_data(reader.read(str(path)))
        array = np.asarray(raw, dtype=np.float32)
    except DataError:
        raise
    except Exception as exc:  # every reader failure becomes one clear line
        raise _explain(path, fmt, exc) from None

    channel_dim = raw_meta.get("original_channel_dim")
    has_channel = isinstance(channel_dim, int | np.integer) and not isinstance(channel_dim, bool)
    array = np.moveaxis(array, int(channel_dim), 0) if has_channel else array[None]
    if array.size == 0:
        raise DataError(f"{path}: holds no pixels (shape {tuple(array.shape)}); re-export it.")
    ndim = array.ndim - 1
    if ndim == 3 and fmt in ("png", "jpeg"):
        ndim = 2
    if ndim not in (2, 3):
        raise DataError(
            f"{path}: has {ndim} spatial dimension(s) (array shape {tuple(array.shape[1:])}); "
            "expected a 2D image or a 3D volume"
            + ("; split it into one 3D file per volume." if ndim > 3 else ".")
        )
    if not np.isfinite(array).all():
        raise DataError(f"{path}: contains NaN or infinite values; fix or re-export it.")

    if fmt in ("png", "jpeg"):
        affine = np.eye(4)
    else:
        affine = _affine_4x4(raw_meta.get("affine", np.eye(4)), ndim)
    spacing = tuple(float(s) for s in np.linalg.norm(affine[:3, :ndim], axis=0))
    meta: dict[str, Any] = {
        "affine": affine,
        "spacing": spacing,
        "format": fmt,
        "path": str(path),
        "spatial_shape": tuple(int(s) for s in array.shape[1:]),
    }
    if fmt == "dicom":
        meta["modality"] = _dicom_modality(path)
    return array, meta


def _dicom_modality(path: Path) -> str | None:
    """Modality of a DICOM file or series (MONAI prunes it from its metadata)."""
    import pydicom

    first = _dicom_files(path)[0] if path.is_dir() else path
    try:
        return str(pydicom.dcmread(first, stop_before_pixels=True).get("Modality", "")) or None
    except Exception:  # the pixels were readable; a missing tag is not worth failing for
        return None


def list_images(folder: str | Path) -> list[Path]:
    """The images of a folder, sorted: image files plus sub-folders holding a DICOM series.

    Hidden files are ignored. An empty folder, or one without any image, is a DataError.
    """
    folder = Path(folder)
    if not folder.exists():
        raise DataError(f"{folder}: no such folder; check the --data path.")
    if not folder.is_dir():
        raise DataError(f"{folder}: is a file, not a folder of images; pass its folder.")
    items = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if any(image_format(f) == "dicom" for f in _dicom_files(entry)):
                items.append(entry)
        elif image_format(entry) is not None:
            items.append(entry)
    if not items:
        raise DataError(
            f"{folder}: no images in this folder; expected {SUPPORTED} files (or, for paired "
            "data, condition/ and target/ sub-folders)."
        )
    return items
