"""Fixtures of the srgan3d tests: one torch thread, tiny configs, a small real MRI volume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

#: Overrides that make either model id small enough for a unit test.
TINY = [
    "model.patch_size=12",
    "model.block_size=6",
    "model.gen_filters=8",
    "model.disc_filters=4",
    "model.disc_dense=16",
]


@pytest.fixture(autouse=True)
def one_thread():
    """The test machine's cores are shared: one thread per process is far faster there."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def tiny_model():
    """A factory: the demo config made tiny, with extra dotlist overrides, seeded."""
    from zoo_core.testing import tiny_model

    def make(*extra: str, model_id: str = "sanchez-srgan3d-mni152"):
        return tiny_model(model_id, *TINY, *extra)  # seeded; TINY on top of the ArchSpec's

    return make


@pytest.fixture(scope="session")
def mni_block(tmp_path_factory) -> Path:
    """A 40x40x30 block of the real MNI152 T1 template (inferior slab) as NIfTI, in a folder."""
    import nibabel as nib

    from zoo_core.plugin_api import mni152_slabs

    slab = mni152_slabs()["train"]
    block = slab.slicer[50:90, 70:110, 30:60]
    folder = tmp_path_factory.mktemp("mni_block")
    data = np.asarray(block.dataobj, dtype=np.float32)
    nib.save(nib.Nifti1Image(data, block.affine), str(folder / "mni_block.nii.gz"))
    return folder
