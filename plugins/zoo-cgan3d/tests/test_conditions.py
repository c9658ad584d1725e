"""Each task's condition has the documented statistics."""

from __future__ import annotations

import pytest
import torch
from zoo_cgan3d.conditions import make_condition, pixelate, poisson_noise

from zoo_core.errors import ConfigError


def test_poisson_noise_variance_scales_with_the_level():
    x = torch.zeros(1, 1, 64, 64, 64)  # intensity u = 0.5
    g = torch.Generator().manual_seed(0)
    variances = {}
    for level in (0.002, 0.008):
        noisy = poisson_noise(x, level, g)
        assert abs(float(noisy.mean())) < 0.01  # unbiased
        variances[level] = float(noisy.var())
        expected = 4 * level * 0.5  # Var(u') = level * u, in [-1, 1] units times 4
        assert abs(variances[level] / expected - 1) < 0.05
    assert abs(variances[0.008] / variances[0.002] - 4) < 0.3
    # brighter voxels are noisier: u = 1 has twice the variance of u = 0.5
    bright = poisson_noise(torch.ones(1, 1, 64, 64, 64), 0.008, g)
    assert abs(float(bright.var()) / variances[0.008] - 2) < 0.15


def test_poisson_condition_is_reproducible_with_a_seeded_generator():
    x = torch.rand(2, 1, 32, 32, 32) * 2 - 1
    a = make_condition("denoise", x, noise_level=0.004, generator=torch.Generator().manual_seed(3))
    b = make_condition("denoise", x, noise_level=0.004, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and not torch.equal(a, x)


def test_pixelate_makes_every_2x2x2_cell_constant():
    x = torch.rand(2, 1, 32, 32, 32) * 2 - 1
    y = make_condition("depixelate", x, noise_level=0.004, pixelate_factor=2)
    assert y.shape == x.shape
    cells = y.reshape(2, 1, 16, 2, 16, 2, 16, 2)
    assert torch.equal(cells.amax(dim=(3, 5, 7)), cells.amin(dim=(3, 5, 7)))
    # nearest neighbour: each cell holds its first voxel, the 16³ downsampled block
    assert torch.equal(y[..., ::2, ::2, ::2], x[..., ::2, ::2, ::2])
    assert not torch.equal(y, x)
    assert pixelate(x, 1).equal(x)


def test_autoencode_condition_is_the_block():
    x = torch.rand(1, 1, 32, 32, 32)
    y = make_condition("autoencode", x, noise_level=0.004)
    assert torch.equal(x, y) and y.data_ptr() != x.data_ptr()


def test_lattice_interpolation_recovers_a_linear_ramp_from_the_kept_voxels():
    from zoo_cgan3d.conditions import lattice_interpolation

    ramp = torch.linspace(-1, 1, 32)
    x = (ramp[:, None, None] + 0.5 * ramp[None, :, None] - 0.25 * ramp[None, None, :])[None, None]
    restored = lattice_interpolation(pixelate(x, 2), 2)
    assert restored.shape == x.shape
    assert torch.allclose(restored[..., :31, :31, :31], x[..., :31, :31, :31], atol=1e-6)
    assert torch.equal(restored[..., ::2, ::2, ::2], x[..., ::2, ::2, ::2])  # through the samples
    assert torch.equal(restored[..., 31, :, :], restored[..., 30, :, :])  # the last copies


def test_median_filter_matches_scipy_and_commutes_with_an_increasing_map():
    from scipy import ndimage
    from zoo_cgan3d.conditions import median_filter

    x = torch.rand(2, 1, 12, 10, 9, generator=torch.Generator().manual_seed(0)) * 2 - 1
    ours = median_filter(x, 5)
    reference = ndimage.median_filter(x.numpy(), size=(1, 1, 5, 5, 5), mode="nearest")
    assert torch.allclose(ours, torch.from_numpy(reference))
    assert torch.allclose(median_filter(x**3, 5), ours**3)  # as HU and equalised units do
    with pytest.raises(ConfigError, match="odd"):
        median_filter(x, 4)


def test_lattice_cubic_is_exact_for_quadratics_and_matches_the_whole_scan_inside_a_block():
    from zoo_cgan3d.conditions import lattice_cubic

    r = torch.linspace(-1, 1, 32)
    x = r[:, None, None] ** 2 - 0.5 * r[None, :, None] * r[None, None, :] + r[None, None, :]
    x = x[None, None]
    restored = lattice_cubic(pixelate(x, 2), 2)
    assert restored.shape == x.shape
    inner = (slice(None), slice(None), *(slice(2, 28),) * 3)
    assert torch.allclose(restored[inner], x[inner], atol=1e-5)
    assert torch.equal(restored[..., ::2, ::2, ::2], x[..., ::2, ::2, ::2])  # through the samples
    scan = torch.rand(1, 1, 40, 40, 40, generator=torch.Generator().manual_seed(0))
    block = lattice_cubic(scan[..., 8:40, 8:40, 8:40], 2)
    assert torch.allclose(
        block[..., 2:28, 2:28, 2:28], lattice_cubic(scan, 2)[..., 10:36, 10:36, 10:36], atol=1e-6
    )
