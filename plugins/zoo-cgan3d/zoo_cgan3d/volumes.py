"""Finding and reading CT volumes (NIfTI; DICOM series through MONAI), in HU.

Scans are kept as int16/float32 HU arrays in (X, Y, Z) voxel order with their affine, so a
reconstruction is written back with the input's geometry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo_core.errors import DataError

NIFTI_SUFFIXES = (".nii", ".nii.gz")


@dataclass
class Volume:
    hu: np.ndarray
    affine: np.ndarray
    path: Path


def is_nifti(path: Path) -> bool:
    return path.name.lower().endswith(NIFTI_SUFFIXES)


def find_scans(path: str | Path, limit: int = 0) -> list[Path]:
    """A NIfTI file, a DICOM series folder, or a folder of either (sorted)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist: pass a CT volume (.nii/.nii.gz) or a folder.")
    if path.is_file():
        return [path]
    scans = sorted(p for p in path.iterdir() if p.is_file() and is_nifti(p))
    scans += sorted(p for p in path.iterdir() if p.is_dir() and any(p.glob("*.dcm")))
    if not scans and any(path.glob("*.dcm")):
        scans = [path]
    if not scans:
        raise DataError(f"{path} holds no CT volume (.nii, .nii.gz or a folder of .dcm files).")
    return scans[:limit] if limit else scans


def read_volume(path: str | Path) -> Volume:
    """Read one scan as HU (NIfTI scaling or DICOM rescale slope/intercept applied)."""
    path = Path(path)
    try:
        if path.is_file() and is_nifti(path):
            import nibabel as nib

            image = nib.load(str(path))
            data = np.asarray(image.dataobj)
            if data.dtype.kind == "f" or image.dataobj.slope != 1 or image.dataobj.inter != 0:
                data = np.asarray(image.get_fdata(dtype=np.float32))
            return Volume(data, image.affine, path)
        from monai.transforms import LoadImage

        image = LoadImage(image_only=True, reader="PydicomReader")(str(path))
        return Volume(np.asarray(image), np.asarray(image.affine), path)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"cannot read CT volume {path}: {exc}") from None
