"""Writing reconstructed scans, marked as synthetic in the file itself and beside it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from zoo_core.plugin_api import IntensityTransform


def _to_int16(hu: np.ndarray, slab: int = 16) -> np.ndarray:
    """``np.rint(hu).astype(np.int16)`` slab by slab: no float copy of a whole 315 MB scan.

    Fortran order, the order NIfTI stores voxels in, so nibabel writes it without a copy.
    """
    out = np.empty(hu.shape, dtype=np.int16, order="F")
    for z in range(0, hu.shape[-1], slab):
        out[..., z : z + slab] = np.rint(hu[..., z : z + slab])
    return out


def write_synthetic_nifti(
    hu: np.ndarray,
    affine: np.ndarray,
    out_dir: Path,
    source: Path,
    model_id: str,
    transform: IntensityTransform | None = None,
) -> Path:
    """int16 HU NIfTI with ``descrip`` = SYNTHETIC and a JSON sidecar of the provenance."""
    import nibabel as nib

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = source.name.split(".")[0] or "scan"
    path = out_dir / f"{stem}_synthetic.nii.gz"
    image = nib.Nifti1Image(_to_int16(hu), affine)
    image.header["descrip"] = f"SYNTHETIC {model_id}"[:79].encode()
    image.header["intent_name"] = b"SYNTHETIC"
    nib.save(image, str(path))
    sidecar = {"synthetic": True, "model_id": model_id, "source": source.name}
    if transform is not None:
        sidecar["intensity"] = transform.to_dict()
    (out_dir / f"{stem}_synthetic.json").write_text(json.dumps(sidecar))
    return path
