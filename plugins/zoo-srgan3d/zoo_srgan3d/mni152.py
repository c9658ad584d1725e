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

#: Contrasts of the template written to the training folder (the first is the test's too).
KINDS = ("t1", "gm", "wm")


def write_mni152(out_dir: str | Path) -> dict[str, Path]:
    """Write ``train/mni152_{t1,gm,wm}_inferior.nii.gz``, ``test/mni152_t1_superior.nii.gz``
    and the ``other-heads/`` scans.

    Files that already exist are kept (the template never changes), so running it twice is
    cheap. Returns the paths by name (``train``, ``test``, ``train_gm``, ``other_ct``, ...).
    """
    from zoo_core.plugin_api import mni152_slabs, save_volume

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
