"""The shipped weights' data: the head CT cut into a training part and a held-out slab.

Neighbouring slices are near copies, so the held-out part is one contiguous axial slab (the
top of the head), never a random choice of blocks. ``other-heads/`` holds a scan that is not
the training source, to check that a model holds beyond it: nilearn's MNI152 T1 (another
modality and head), scaled from [0, 1] to [0, 100] so that it sits inside the HU window the
configs clip to; the per-scan histogram equalisation then gives it the same footing as a CT.

With ``with_mri`` the MNI152 T1 becomes a second training source instead, split as the core
splits it (:func:`zoo_core.plugin_api.mni152_slabs`): its inferior slab joins ``train/``, its
superior slab is held out in ``test-mri/``, and ``other-heads/`` holds nibabel's T1 (another
subject, 2 mm, real noise), which neither source is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: The MNI152 T1 is written at this scale (its maximum), inside the configs' HU window.
MR_SCALE = 100.0


def write_split(
    scan: str | Path, out_dir: str | Path, split_z: int, with_mri: bool = False
) -> dict[str, Path]:
    """``train/head_ct_inferior.nii.gz`` (z < split_z), ``test/head_ct_superior.nii.gz``
    (z >= split_z) and ``other-heads/mni152_t1_x100.nii.gz``, or with ``with_mri`` the MNI152
    T1 split into ``train/`` and ``test-mri/`` and nibabel's T1 in ``other-heads/`` (see the
    module's docstring); existing files are kept."""
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
    if with_mri:
        del paths["other"]
        paths.update(_write_mri_sources(out_dir))
    elif not paths["other"].is_file():
        t1, affine = load_mni152("t1")
        data = (t1 / t1.max() * MR_SCALE).astype(np.float32)
        save_volume(data, affine, paths["other"], "MNI152 T1 (nilearn) x100, not HU")
    return paths


def _write_mri_sources(out_dir: Path) -> dict[str, Path]:
    """The MNI152 T1 slabs as a second training source and its held-out part, and nibabel's
    T1 as the scan of another source; all at :data:`MR_SCALE`."""
    from zoo_core.plugin_api import load_volume, mni152_slabs, save_volume

    paths = {
        "train_mri": out_dir / "train" / "mni152_t1_inferior_x100.nii.gz",
        "test_mri": out_dir / "test-mri" / "mni152_t1_superior_x100.nii.gz",
        "other": out_dir / "other-heads" / "nibabel_t1_x100.nii.gz",
    }
    if not (paths["train_mri"].is_file() and paths["test_mri"].is_file()):
        slabs = mni152_slabs("t1")
        for name, split in (("train_mri", "train"), ("test_mri", "test")):
            data = np.asarray(slabs[split].dataobj, dtype=np.float32) * MR_SCALE
            save_volume(data, slabs[split].affine, paths[name], "MNI152 T1 (nilearn) x100, not HU")
    if not paths["other"].is_file():
        t1, affine = load_volume("nibabel_t1")
        data = (t1 / t1.max() * MR_SCALE).astype(np.float32)
        save_volume(data, affine, paths["other"], "nibabel's T1 x100, not HU")
    return paths
