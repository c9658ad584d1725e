"""Shared fixtures: the real head CT that totalsegmentator ships, and tiny configs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

#: Dotlist overrides that make any cgan3d id small enough for a CPU test.
TINY = [
    "model.z_dim=2",
    "model.generator_channels=[8,16,32]",
    "model.generator_strides=[2,2]",
    "model.discriminator_channels=8",
    "model.discriminator_layers=2",
]


@pytest.fixture(scope="session")
def tiny() -> list[str]:
    return list(TINY)


@pytest.fixture(scope="session")
def head_ct_path() -> Path:
    import totalsegmentator

    path = Path(totalsegmentator.__file__).parent / "resources" / "ct_brain_atlas_1mm.nii.gz"
    assert path.is_file(), (
        "totalsegmentator's head CT is missing: pip install --no-deps totalsegmentator"
    )
    return path


@pytest.fixture(scope="session")
def head_ct(head_ct_path) -> np.ndarray:
    import nibabel as nib

    return np.asarray(nib.load(str(head_ct_path)).dataobj).astype(np.float32)


@pytest.fixture
def small_ct(tmp_path, head_ct) -> Path:
    """A 48x40x36 crop through the brain, saved as int16 NIfTI (odd sizes on purpose)."""
    import nibabel as nib

    crop = head_ct[77:125, 80:120, 70:106].astype(np.int16)
    path = tmp_path / "scans" / "crop.nii.gz"
    path.parent.mkdir()
    nib.save(nib.Nifti1Image(crop, np.diag([1.0, 1.0, 1.0, 1.0])), str(path))
    return path
