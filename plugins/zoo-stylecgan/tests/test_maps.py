"""Six-region maps from HU on real CT, and boundary perturbation of maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage
from zoo_stylecgan.perturb import default_strength, perturb_map
from zoo_stylecgan.regions import proportions, region_map

from zoo_core.data.shipped import load_head_ct


@pytest.fixture(scope="module")
def head_maps():
    hu, _ = load_head_ct()
    maps = [region_map(hu[:, :, z], "brain") for z in range(0, hu.shape[2], 4)]
    return [m for m in maps if (m != 0).mean() >= 0.15]


def test_brain_scheme_on_the_real_head_ct_gives_six_plausible_regions(head_maps):
    shares = proportions(np.stack(head_maps))
    assert (shares > 0).all(), shares  # all six labels occur
    brain = shares[1:] / shares[1:].sum()
    csf, white, grey, blood, bone = brain
    assert 0.3 < shares[0] < 0.9  # background around the brain
    assert grey == brain.max() and grey > 0.4  # grey matter is the bulk of a brain atlas
    assert 0.005 < csf < 0.2 and 0.05 < white < 0.4 and 0.02 < blood < 0.3
    assert 0 < bone < 0.02  # calcifications are rare in a skull-stripped atlas


def test_body_scheme_on_a_real_body_ct_slice():
    import pydicom
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    labels = region_map(hu, "body")
    shares = proportions(labels)
    assert (shares > 0).all(), shares
    background, soft, bone = shares[0], shares[3], shares[5]
    assert 0.05 < background < 0.5 and soft == shares[1:].max() and 0.01 < bone < 0.2
    assert (labels[hu < -700] == 0).mean() > 0.9  # outside air is background, not lung


def _boundary_distance(labels: np.ndarray) -> np.ndarray:
    edges = np.zeros(labels.shape, dtype=bool)
    edges[:-1] |= labels[:-1] != labels[1:]
    edges[1:] |= labels[:-1] != labels[1:]
    edges[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    edges[:, 1:] |= labels[:, :-1] != labels[:, 1:]
    return ndimage.distance_transform_edt(~edges)


def test_perturbation_keeps_labels_and_moves_boundaries_smoothly(head_maps):
    labels = torch.from_numpy(head_maps[len(head_maps) // 2])
    _, magnitude = default_strength(min(labels.shape))
    warped = perturb_map(labels, seed=3)
    assert warped.shape == labels.shape and warped.dtype == labels.dtype
    assert set(torch.unique(warped).tolist()) == set(torch.unique(labels).tolist())
    changed = (warped != labels).numpy()
    assert 0.005 < changed.mean() < 0.3
    # smooth displacement: only pixels near an original boundary change, no speckle inside
    distance = _boundary_distance(labels.numpy())
    assert distance[changed].max() <= 4 * magnitude + 2
    assert torch.equal(perturb_map(labels, seed=3), warped)
    assert not torch.equal(perturb_map(labels, seed=4), warped)
    for k in torch.unique(labels).tolist():  # regions are moved, not shattered
        before = ndimage.label(labels.numpy() == k)[1]
        after = ndimage.label(warped.numpy() == k)[1]
        assert after <= before + 3, (k, before, after)
