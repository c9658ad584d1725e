"""The degradations that make training pairs, and the voxel convention they share."""

from __future__ import annotations

import math

import pytest
import torch
from zoo_srgan3d.degrade import area, degrade, gaussian, kspace

from zoo_core.errors import ConfigError


def ramp(n: int, axis: int) -> torch.Tensor:
    """A (1, 1, n, n, n) volume whose value is the voxel index along ``axis``."""
    shape = [1, 1, 1, 1, 1]
    shape[axis] = n
    return torch.arange(n, dtype=torch.float64).reshape(shape).expand(1, 1, n, n, n).clone()


@pytest.mark.parametrize("method", ["gaussian", "kspace", "area"])
@pytest.mark.parametrize("scale", [2, 3])
def test_constant_volume_stays_constant(method, scale):
    volume = torch.full((2, 1, 12, 12, 12), 0.25, dtype=torch.float64)
    low = degrade(volume, scale, method)
    assert low.shape == (2, 1, 12 // scale, 12 // scale, 12 // scale)
    torch.testing.assert_close(low, torch.full_like(low, 0.25))


@pytest.mark.parametrize("scale", [2, 3])
def test_area_voxel_j_is_the_centre_of_its_block(scale):
    low = area(ramp(12, 2), scale)
    centres = torch.arange(12 // scale, dtype=torch.float64) * scale + (scale - 1) / 2
    torch.testing.assert_close(low[0, 0, :, 0, 0], centres)


def test_gaussian_keeps_linear_ramps_in_the_interior():
    # A Gaussian blur leaves a linear function unchanged (away from the borders, where the
    # replicated padding bends it), so the block centres come out exactly.
    low = gaussian(ramp(24, 3), 2)
    centres = torch.arange(12, dtype=torch.float64) * 2 + 0.5
    torch.testing.assert_close(low[0, 0, 0, 3:9, 0], centres[3:9])


@pytest.mark.parametrize("scale", [2, 3])
def test_kspace_samples_band_limited_signal_at_block_centres(scale):
    n, f = 24, 2
    t = torch.arange(n, dtype=torch.float64)
    signal = torch.cos(2 * math.pi * f * t / n).reshape(1, 1, 1, 1, n).expand(1, 1, n, n, n)
    low = kspace(signal.clone(), scale)
    j = torch.arange(n // scale, dtype=torch.float64)
    expected = torch.cos(2 * math.pi * f * (scale * j + (scale - 1) / 2) / n)
    torch.testing.assert_close(low[0, 0, 0, 0], expected)


def test_patch_not_a_multiple_of_the_scale_is_an_error():
    with pytest.raises(ConfigError, match=r"multiple of model\.scale_factor=3"):
        degrade(torch.zeros(1, 1, 8, 8, 8), 3, "area")
    with pytest.raises(ConfigError, match=r"model\.degradation"):
        degrade(torch.zeros(1, 1, 8, 8, 8), 2, "bicubic")
