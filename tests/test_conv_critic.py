"""zoo_core.layers.ConvCritic: DCGAN's discriminator and WGAN's critic, one score per image."""

from __future__ import annotations

import pytest
import torch

from zoo_core.layers import ConvCritic


@pytest.mark.parametrize(("dims", "resolution"), [(2, 32), (3, 16)])
def test_one_score_per_image_and_every_parameter_learns(dims, resolution):
    critic = ConvCritic(2, resolution, base_filters=4, norm="batch", spatial_dims=dims)
    x = torch.randn(3, 2, *(resolution,) * dims)
    score = critic(x)
    assert score.shape == (3, 1)
    score.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in critic.parameters())
    # The 4^d head: width doubles per halving from 4 filters, 32 -> 4 px is three halvings.
    assert critic.head.in_channels == (16 if resolution == 32 else 8)
    assert tuple(critic.head.kernel_size) == (4,) * dims


@pytest.mark.parametrize("norm", ["layer", "none"])
def test_without_batch_norm_a_score_does_not_depend_on_the_batch(norm):
    """What WGAN-GP needs: each image's score (and its gradient penalty) is its own."""
    torch.manual_seed(0)
    x = torch.randn(4, 1, 16, 16)
    critic = ConvCritic(1, 16, base_filters=4, norm=norm).train()
    assert torch.allclose(critic(x)[:1], critic(x[:1]), atol=1e-6)
    batch_norm = ConvCritic(1, 16, base_filters=4, norm="batch").train()
    assert not torch.allclose(batch_norm(x)[:1], batch_norm(x[:1]), atol=1e-6)
