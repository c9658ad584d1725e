"""The shipped weights' data: the head CT cut into a training part and a held-out slab.

Neighbouring slices are near copies, so the held-out part is one contiguous axial slab (the
top of the head), never a random choice of blocks. ``other-heads/`` holds a scan that is not
the training source, to check that a model holds beyond it: nilearn's MNI152 T1 (another
modality and head), scaled from [0, 1] to [0, 100] so that it sits inside the HU window the
configs clip to; the per-scan histogram equalisation then gives it the same footing as a CT.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: The MNI152 T1 is written at this scale (its maximum), inside the configs' HU window.
MR_SCALE = 100.0


def write_split(scan: str | Path, out_dir: str | Path, split_z: int) -> dict[str, Path]:
    """``train/head_ct_inferior.nii.gz`` (z < split_z), ``test/head_ct_superior.nii.gz``
    (z >= split_z) and ``other-heads/mni152_t1_x100.nii.gz``; existing files are kept."""
    import nibabel as nib

    from zoo_core.plugin_api import DataError, load_mni152, save_volume

    out_dir = Path(out_dir)
    image = nib.load(str(scan))
    depth = image.shape[2]
    if not 0 < split_z < depth:
        raise DataError(f"--split-z {split_z} must lie inside the scan's {depth} axial slices.")
    paths = {
        "train": out_dir / "train" / "head_ct_inferior.nii.gz",
        "test": out_dir / "test" / "head_ct_superior.nii.gz",
        "other": out_dir / "other-heads" / "mni152_t1_x100.nii.gz",
    }
    parts = {"train": slice(0, split_z), "test": slice(split_z, depth)}
    for name, z in parts.items():
        if not paths[name].is_file():
            slab = image.slicer[:, :, z]
            data = np.asarray(slab.dataobj, dtype=np.float32)
            save_volume(data, slab.affine, paths[name], "TotalSegmentator head CT atlas (HU)")
    if not paths["other"].is_file():
        t1, affine = load_mni152("t1")
        data = (t1 / t1.max() * MR_SCALE).astype(np.float32)
        save_volume(data, affine, paths["other"], "MNI152 T1 (nilearn) x100, not HU")
    return paths
