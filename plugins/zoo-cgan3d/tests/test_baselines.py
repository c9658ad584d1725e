"""The baselines and whole-scan figures the cGAN is judged against."""

from __future__ import annotations

import numpy as np
import pytest
from zoo_cgan3d.baselines import (
    baselines_for,
    interpolate_samples,
    keep_best_gaussian,
    low_resolution_samples,
    seam_ratio,
    slab_metrics,
)
from zoo_cgan3d.conditions import pixelate


def test_interpolation_passes_through_the_samples_pixelate_kept():
    import torch

    rng = np.random.default_rng(0)
    clean = rng.normal(size=(16, 16, 12)).astype(np.float32)
    pixelated = pixelate(torch.from_numpy(clean)[None, None], 2)[0, 0].numpy()
    low = low_resolution_samples(pixelated, 2)
    assert np.array_equal(low, clean[::2, ::2, ::2])
    for order in (1, 3):
        up = interpolate_samples(low, 2, clean.shape, order)
        assert up.shape == clean.shape
        assert np.allclose(up[::2, ::2, ::2], clean[::2, ::2, ::2], atol=1e-4)


def test_tricubic_beats_the_pixelated_input_on_a_smooth_volume():
    import torch

    x, y, z = np.meshgrid(*[np.linspace(0, 3, 24)] * 3, indexing="ij")
    clean = (np.sin(x) * np.cos(y) + z).astype(np.float32)
    pixelated = pixelate(torch.from_numpy(clean)[None, None], 2)[0, 0].numpy()
    tissue = np.ones_like(clean, dtype=bool)
    r = float(np.ptp(clean))
    runs = baselines_for("depixelate", 2)
    tricubic = slab_metrics(runs["tricubic"](pixelated), clean, tissue, r)["psnr"]
    assert tricubic > slab_metrics(pixelated, clean, tissue, r)["psnr"] + 10


def test_denoise_baselines_and_the_tuned_gaussian():
    names = set(baselines_for("denoise", 2))
    assert {"median 3^3", "median 5^3"} <= names and any(n.startswith("gaussian") for n in names)
    assert baselines_for("autoencode", 2) == {}
    rows = {
        "gaussian s=1": {"psnr": 30.0},
        "gaussian s=2": {"psnr": 31.0},
        "median 3^3": {"psnr": 1},
    }
    assert set(keep_best_gaussian(rows)) == {"gaussian s=2", "median 3^3"}


def test_seam_ratio_is_one_without_seams_and_large_with_them():
    x = np.linspace(0, 1, 32, dtype=np.float32)
    smooth = np.broadcast_to(x[:, None, None] + x[None, :, None] + x[None, None, :], (32,) * 3)
    assert seam_ratio(np.ascontiguousarray(smooth), 8) == pytest.approx(1.0, abs=1e-3)
    blocky = smooth.copy()
    blocky[8:16] += 0.2  # a step where one block meets the next
    assert seam_ratio(blocky, 8) > 1.5
