"""Shared fixtures: the real head CT that totalsegmentator ships, and tiny configs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

#: Dotlist overrides that make any cgan3d id small enough for a CPU test.
TINY = [
    "model.z_dim=2",
    "model.generator_channels=[8,8,16,32]",
    "model.generator_strides=[1,2,2]",
    "model.discriminator_channels=8",
    "model.discriminator_layers=2",
]


@pytest.fixture(scope="session")
def tiny() -> list[str]:
    return list(TINY)


@pytest.fixture(scope="session")
def head_ct() -> np.ndarray:
    from zoo_core.data.shipped import load_head_ct

    return load_head_ct()[0]


@pytest.fixture
def small_ct(tmp_path, head_ct) -> Path:
    """A 48x40x36 crop through the brain, saved as int16 NIfTI (odd sizes on purpose)."""
    import nibabel as nib

    crop = head_ct[77:125, 80:120, 70:106].astype(np.int16)
    path = tmp_path / "scans" / "crop.nii.gz"
    path.parent.mkdir()
    nib.save(nib.Nifti1Image(crop, np.diag([1.0, 1.0, 1.0, 1.0])), str(path))
    return path
