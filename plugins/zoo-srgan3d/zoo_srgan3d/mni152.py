"""The demo data: the MNI152 T1 template that nilearn ships, as training and test NIfTI files.

One subject is all that exists offline, so it is split in two slabs along the axial axis at
world z = 0 mm: training patches come from the inferior slab (cerebellum, temporal lobes,
brainstem) and evaluation uses the superior one (cortex, ventricles), which training never
sees. Both are cropped to the head (plus a margin) so random patches rarely fall in air.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Voxels of background kept around the head's bounding box.
MARGIN = 2


def mni152_slabs() -> dict[str, object]:
    """``{"train": Nifti1Image, "test": Nifti1Image}`` cut from the 1 mm template, offline.

    Intensities are scaled to [0, 1] by the maximum, as nilearn's ``load_mni152_template``.
    """
    import nibabel as nib

    from zoo_core.data.shipped import load_mni152

    data, affine = load_mni152("t1")
    data /= data.max()
    image = nib.Nifti1Image(data, affine)
    inside = np.argwhere(data > 0)
    low = np.maximum(inside.min(0) - MARGIN, 0)
    high = np.minimum(inside.max(0) + 1 + MARGIN, data.shape)
    # Voxel index of world z = 0 mm (the template's axes are aligned with the world's).
    split = round(float(np.linalg.solve(image.affine, [0.0, 0.0, 0.0, 1.0])[2]))
    split = int(np.clip(split, low[2] + 1, high[2] - 1))
    x, y = slice(low[0], high[0]), slice(low[1], high[1])
    return {
        "train": image.slicer[x, y, low[2] : split],
        "test": image.slicer[x, y, split : high[2]],
    }


def write_mni152(out_dir: str | Path) -> dict[str, Path]:
    """Write ``train/mni152_t1_inferior.nii.gz`` and ``test/mni152_t1_superior.nii.gz``.

    Files that already exist are kept (the template never changes), so running it twice is
    cheap. Returns the two paths.
    """
    from zoo_core.data.shipped import save_volume

    out_dir = Path(out_dir)
    names = {"train": "mni152_t1_inferior.nii.gz", "test": "mni152_t1_superior.nii.gz"}
    paths = {split: out_dir / split / name for split, name in names.items()}
    if all(p.is_file() for p in paths.values()):
        return paths
    for split, image in mni152_slabs().items():
        data = np.asarray(image.dataobj, dtype=np.float32)
        save_volume(data, image.affine, paths[split], "MNI152 T1 2009a (nilearn), real template")
    return paths
