"""zoo evaluate reads real data the way the model was trained on it when plain reading cannot.

A 2D model trained on slices of NIfTI volumes must be compared with slices, not volumes.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
from helpers.example import TINY, render_example

import zoo_core as zoo
from zoo_core.metrics.evaluate import evaluate


@pytest.fixture
def example(plugin_site):
    model_id = render_example(plugin_site, "evalgan")
    plugin_site.activate()
    return model_id


def test_volumes_are_read_as_the_training_slices_of_a_2d_model(example, tmp_path):
    rng = np.random.default_rng(0)
    volume = rng.uniform(0, 1, size=(16, 16, 5)).astype(np.float32)
    (tmp_path / "real").mkdir()
    nib.save(nib.Nifti1Image(volume, np.eye(4)), str(tmp_path / "real" / "vol.nii.gz"))
    model = zoo.load(
        example, pretrained=False, overrides=[*TINY, "data.mode=slices", "data.skip_empty=false"]
    )
    result = evaluate(model, real=tmp_path / "real", generate=4, metrics=["memorisation"])
    assert any("5 of 5 training items" in note for note in result["notes"])
