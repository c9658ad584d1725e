"""The demo data: the MNI152 template that nilearn ships, as training and test NIfTI files.

One subject is all that exists offline, so it is split in two slabs along the axial axis at
world z = 0 mm: training patches come from the inferior slab (cerebellum, temporal lobes,
brainstem) and evaluation uses the superior one (cortex, ventricles), which training never
sees. Both are cropped to the head (plus a margin) so random patches rarely fall in air. The
training folder also holds the inferior slabs of the grey- and white-matter maps: the same
anatomy in two other contrasts.

``other-heads/`` holds real scans that are not the training source, to check that a model
holds beyond its template: totalsegmentator's head CT (another contrast and modality) and
nibabel's test T1 (a single subject at 2 mm, with real noise).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Voxels of background kept around the head's bounding box.
MARGIN = 2
#: Contrasts of the template written to the training folder (the first is the test's too).
KINDS = ("t1", "gm", "wm")


def mni152_slabs(kind: str = "t1") -> dict[str, object]:
    """``{"train": Nifti1Image, "test": Nifti1Image}`` cut from the 1 mm template, offline.

    Intensities are scaled to [0, 1] by the maximum, as nilearn's ``load_mni152_template``.
    Every kind is cut with the T1's head box and split, so the slabs of all kinds align.
    """
    import nibabel as nib

    from zoo_core.plugin_api import load_mni152

    t1, affine = load_mni152("t1")
    data = t1 if kind == "t1" else load_mni152(kind)[0]
    data = data / data.max()
    image = nib.Nifti1Image(data.astype(np.float32), affine)
    inside = np.argwhere(t1 > 0)
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
    """Write ``train/mni152_{t1,gm,wm}_inferior.nii.gz``, ``test/mni152_t1_superior.nii.gz``
    and the ``other-heads/`` scans.

    Files that already exist are kept (the template never changes), so running it twice is
    cheap. Returns the paths by name (``train``, ``test``, ``train_gm``, ``other_ct``, ...).
    """
    from zoo_core.plugin_api import save_volume

    out_dir = Path(out_dir)
    paths = {"test": out_dir / "test" / "mni152_t1_superior.nii.gz"}
    for kind in KINDS:
        paths["train" if kind == "t1" else f"train_{kind}"] = (
            out_dir / "train" / f"mni152_{kind}_inferior.nii.gz"
        )
    for kind in KINDS:
        targets = {"train": paths["train" if kind == "t1" else f"train_{kind}"]}
        if kind == "t1":
            targets["test"] = paths["test"]
        if all(p.is_file() for p in targets.values()):
            continue
        slabs = mni152_slabs(kind)
        label = f"MNI152 {kind.upper()} 2009a (nilearn), real template"
        for split, path in targets.items():
            data = np.asarray(slabs[split].dataobj, dtype=np.float32)
            save_volume(data, slabs[split].affine, path, label)
    paths.update(write_other_heads(out_dir / "other-heads"))
    return paths


def write_other_heads(out_dir: str | Path) -> dict[str, Path]:
    """Real heads that are not the template: nibabel's anatomical T1 (nibabel always comes
    with nilearn) and the head CT, when totalsegmentator is installed."""
    import importlib.util

    from zoo_core.plugin_api import copy_shipped

    names = {"other_t1": ("nibabel_anatomical_t1.nii", "nibabel_t1")}
    if importlib.util.find_spec("totalsegmentator") is not None:
        names["other_ct"] = ("totalsegmentator_head_ct.nii.gz", "head_ct")
    out = copy_shipped(out_dir, dict(names.values()))
    return {key: out / target for key, (target, _) in names.items()}
