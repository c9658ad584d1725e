"""Shared fixtures: tiny overrides and the real head CT prepared once per session."""

from __future__ import annotations

import warnings

import pytest

#: A 32x32 model small enough for CPU tests; random VGG-19 allowed explicitly, no Hub.
TINY = [
    "model.resolution=32",
    "model.g_depth=4",
    "model.g_filters=8",
    "model.g_max_filters=32",
    "model.d_filters=8",
    "model.d_max_filters=32",
    "model.noise_side=8",
    "data.spatial_size=[32,32]",
    "train.vgg_allow_random=true",
    "train.vgg_hub_repo=null",
]


@pytest.fixture
def tiny() -> list[str]:
    return list(TINY)


@pytest.fixture(scope="session")
def headct_dir(tmp_path_factory):
    """Every 12th axial slice of TotalSegmentator's head CT with derived maps (real data)."""
    from zoo_stylecgan.data import prepare_headct

    return prepare_headct(tmp_path_factory.mktemp("headct"), every=12)


@pytest.fixture
def quiet_random_vgg():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*RANDOM weights.*")
        yield
