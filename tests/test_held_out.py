"""FID/KID against a held-out part, beside the floor (zoo_core.metrics.held_out)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from zoo_core.errors import ZooError
from zoo_core.metrics.held_out import held_out_distribution


class PooledPixels(nn.Module):
    """A cheap stand-in for the Inception network: 4x4 average-pooled RGB pixels."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.adaptive_avg_pool2d(x, 4).flatten(1)


def _smooth_images(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(n, 1, 4, 4, generator=g)
    return nn.functional.interpolate(coarse, size=16, mode="bilinear", align_corners=False)


def test_a_sample_of_the_real_distribution_scores_near_the_floor_and_a_wrong_one_far_above():
    train, held_out = _smooth_images(60, 0), _smooth_images(60, 1)
    kw = {"extractor": PooledPixels()}
    alike = held_out_distribution(_smooth_images(60, 2), train, held_out, **kw)
    wrong = held_out_distribution(1.0 - 0.3 * _smooth_images(60, 2), train, held_out, **kw)
    assert alike["fid_floor"] == wrong["fid_floor"] > 0
    assert 0.5 < alike["fid_over_floor"] < 2.0
    assert wrong["fid_over_floor"] > 10 * alike["fid_over_floor"]
    assert wrong["kid"] > wrong["kid_floor"]
    assert alike["extractor"] == "PooledPixels"


def test_the_sets_are_cut_to_the_same_size_and_too_few_images_are_refused():
    train, held_out = _smooth_images(5, 0), _smooth_images(9, 1)
    result = held_out_distribution(_smooth_images(20, 2), train, held_out, extractor=PooledPixels())
    assert (result["n_generated"], result["n_train"], result["n_held_out"]) == (5, 5, 9)
    with pytest.raises(ZooError, match="at least 2 images per set"):
        held_out_distribution(train[:1], train, held_out, extractor=PooledPixels())
