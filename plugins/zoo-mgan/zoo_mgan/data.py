"""Training data that ships with an installed package: the MNI152 T1 template of nilearn.

The zoo's data pipeline (``data.mode: slices``) cuts, resizes and normalises the slices;
this only puts the volume where ``zoo train --data DIR`` reads it, so no network is needed.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def mni152_t1_path() -> Path:
    """The MNI152 2009a T1 template inside the installed nilearn wheel (1 mm, 197x233x189)."""
    import nilearn.datasets

    from zoo_core.errors import DataError

    folder = Path(nilearn.datasets.__file__).parent / "data"
    path = folder / "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
    if not path.is_file():
        raise DataError(f"nilearn does not ship {path.name}; pass --data with your own volumes.")
    return path


def prepare_mni152(out_dir: str | Path) -> Path:
    """Copy the MNI152 T1 volume into ``out_dir`` (created) and return the folder."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mni152_t1_path(), out / "mni152_t1.nii.gz")
    return out
