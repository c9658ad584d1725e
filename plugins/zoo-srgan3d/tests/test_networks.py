"""The networks against section 2 of Sánchez & Vilaplana (2017)."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from zoo_srgan3d.networks import Discriminator, Generator, ResidualBlock, TileReplication

from zoo_core.api import build, model_config
from zoo_core.errors import ZooError


def test_paper_generator_layout():
    model = build("srgan3d", model_config("sanchez-srgan3d"))
    gen = model.generator
    blocks = [m for m in gen.blocks if isinstance(m, ResidualBlock)]
    assert len(blocks) == 6
    for block in blocks:
        kinds = [type(m) for m in block.body]
        assert kinds == [nn.Conv3d, nn.BatchNorm3d, nn.LeakyReLU, nn.Conv3d, nn.BatchNorm3d]
        for conv in (block.body[0], block.body[3]):
            assert conv.out_channels == 32 and conv.kernel_size == (3, 3, 3)
    up = [type(m) for m in gen.upsample]
    assert up == [nn.Conv3d, nn.LeakyReLU, TileReplication, nn.Conv3d, nn.Tanh]
    assert gen.upsample[2].scale == 2


def test_paper_discriminator_layout():
    model = build("srgan3d", model_config("sanchez-srgan3d"))
    disc = model.discriminator
    convs = [m for m in disc.features if isinstance(m, nn.Conv3d)]
    assert [c.out_channels for c in convs] == [64, 64, 128, 128, 256, 256, 512, 512]
    assert [c.stride[0] for c in convs] == [1, 2, 1, 2, 1, 2, 1, 2]
    assert all(c.kernel_size == (3, 3, 3) for c in convs)
    dense = [m for m in disc.classifier if isinstance(m, nn.Linear)]
    # 64^3 patch halved four times: 4^3 positions of 512 features into 1024, then 1.
    assert [(d.in_features, d.out_features) for d in dense] == [(512 * 4**3, 1024), (1024, 1)]
    assert isinstance(disc.classifier[-1], nn.Sigmoid)


def test_discriminator_gives_probabilities_and_rejects_other_sizes():
    disc = Discriminator(1, 16, 4, 8, 8, 0.2)
    scores = disc(torch.randn(3, 1, 16, 16, 16) * 5)
    assert scores.shape == (3, 1)
    assert ((scores > 0) & (scores < 1)).all()
    with pytest.raises(ZooError, match=r"model\.patch_size"):
        disc(torch.randn(1, 1, 12, 12, 12))


@pytest.mark.parametrize("scale", [2, 3])
def test_generator_output_shape(scale):
    gen = Generator(1, 4, 2, scale, 0.2)
    out = gen(torch.randn(2, 1, 5, 7, 6))
    assert out.shape == (2, 1, 5 * scale, 7 * scale, 6 * scale)
    assert out.abs().max() <= 1


def test_tile_replication_repeats_every_voxel():
    x = torch.randn(1, 2, 3, 4, 5)
    expected = x.repeat_interleave(3, 2).repeat_interleave(3, 3).repeat_interleave(3, 4)
    assert torch.equal(TileReplication(3)(x), expected)


def test_residual_path_is_identity_at_zero_weights(tiny_model):
    model = tiny_model()
    blocks = list(model.generator.blocks)
    assert len(blocks) == 6
    with torch.no_grad():
        for block in blocks:
            block.body[3].weight.zero_()  # last conv
            block.body[4].weight.zero_()  # last batch norm: gamma
            block.body[4].bias.zero_()  # and beta
    x = torch.randn(2, 8, 5, 5, 5)
    for mode in (model.train, model.eval):
        mode()
        for block in blocks:
            assert torch.equal(block(x), x)
    # The blocks' output is then the stem's features, so the trunk reduces to the long skip.
    features = model.generator.head(torch.randn(1, 1, 4, 4, 4))
    assert torch.equal(model.generator.blocks(features), features)
