"""Shared fixtures: tiny overrides and the real head CT prepared once per session."""

from __future__ import annotations

import warnings

import pytest

# The ArchSpec's tiny config: a 32x32 model, random VGG-19 allowed explicitly, no Hub.
from zoo_stylecgan import TINY


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
