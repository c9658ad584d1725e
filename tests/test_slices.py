"""zoo_core.data.slices: a volume's usable slices, scaled and sized, and labelled by level."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import torch
from omegaconf import OmegaConf

from zoo_core.config import DataConfig
from zoo_core.data.slices import LevelSlices, level_labels, volume_slices


def _volume(tmp_path):
    """8x8x6, background 0; axial slice k (1..4) holds a 4x4 square of value 100 k."""
    data = np.zeros((8, 8, 6), np.float32)
    for k in range(1, 5):
        data[2:6, 2:6, k] = 100.0 * k
    path = tmp_path / "v.nii.gz"
    nib.save(nib.Nifti1Image(data, np.eye(4)), str(path))
    return path


def _cfg(**kw):
    return OmegaConf.structured(DataConfig(spatial_size=[4, 4], size_mode="crop", **kw))


def test_empty_slices_are_skipped_and_the_rest_scaled_over_the_volume(tmp_path):
    indices, slices = volume_slices(_cfg(intensity="minmax"), _volume(tmp_path))
    assert indices == [1, 2, 3, 4]
    assert all(s.shape == (1, 4, 4) and s.dtype == torch.float32 for s in slices)
    # min-max over the whole volume: 0 -> -1, 400 -> 1, so 100 k -> k / 2 - 1.
    for k, s in zip(indices, slices, strict=True):
        assert torch.allclose(s, torch.full((1, 4, 4), k / 2 - 1))


def test_intensity_overrides_the_configured_scaling(tmp_path):
    cfg = _cfg(intensity="minmax", hu_window=[-1000.0, 1000.0], skip_empty=False)
    indices, slices = volume_slices(cfg, _volume(tmp_path), intensity="ct")
    assert indices == list(range(6))
    # The HU window [-1000, 1000] maps 100 k HU to k / 10 (a crop keeps the square only).
    assert [round(float(s.mean()), 4) for s in slices] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.0]
    assert cfg.intensity == "minmax"  # the caller's config is left alone


def test_level_labels_bin_slices_bottom_to_top():
    assert level_labels(8, 4) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert level_labels(5, 2) == [0, 0, 0, 1, 1]


def test_level_slices_label_each_volume_from_its_own_bottom(tmp_path):
    first = _volume(tmp_path)
    (tmp_path / "two").mkdir()
    first.rename(tmp_path / "two" / "a.nii.gz")
    _volume(tmp_path / "two").rename(tmp_path / "two" / "b.nii.gz")
    dataset = LevelSlices(_cfg(intensity="minmax"), tmp_path / "two", levels=2)
    assert len(dataset) == 8
    assert [int(dataset[i]["label"]) for i in range(8)] == [0, 0, 1, 1, 0, 0, 1, 1]
    assert dataset[3]["target"].shape == (1, 4, 4)
