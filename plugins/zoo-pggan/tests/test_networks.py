"""Shapes at every phase, the fade-in at alpha 0 and 1, and the layers of Karras et al."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from zoo_pggan.layers import EqualizedConv2d, MinibatchStdDev, PixelNorm
from zoo_pggan.networks import filters_for

import zoo_core as zoo


def test_paper_sizes_of_the_rop_and_brats_ids():
    rop = zoo.load("beers-pggan-rop", pretrained=False)
    assert rop.resolutions == [4, 8, 16, 32, 64, 128, 256, 512]
    assert rop.filters == [128, 128, 128, 128, 128, 128, 64, 16]
    assert rop.latent_dim == 128 and rop.channels == 4 and rop.resolution == 512
    brats = zoo.load("beers-pggan-brats", pretrained=False)
    assert brats.filters == [128] * 6 + [64]
    assert brats.image_channels == ["T1", "T1c", "T2", "FLAIR"]
    assert brats.segmentation_channels == ["edema", "non-enhancing/necrosis", "enhancing"]
    assert brats.generate(n=1, seed=0).shape == (1, 7, 256, 256)


def test_filters_follow_the_last_threshold_at_or_below():
    table = [[256, 64], [512, 16]]
    assert [filters_for(r, 128, table) for r in (128, 256, 512, 1024)] == [128, 64, 16, 16]


@pytest.mark.parametrize("alpha", [0.25, 1.0])
def test_shapes_at_every_phase(alpha, tiny_model):
    model = tiny_model()
    for level, size in enumerate([4, 8, 16]):
        model.set_phase(level, alpha)
        out = model(torch.randn(5, 128))
        assert out.shape == (5, 3, size, size)
        assert model.critic(out, {}).shape == (5, 1)
        batch = model.prepare_batch(model.example_batch(4))
        assert batch["target"].shape == (4, 3, size, size)
        assert model.fake_batch(batch).shape == batch["target"].shape


def test_segmentation_switch_removes_the_channels(tiny_model):
    model = tiny_model(extra=["model.use_segmentation=false"])
    assert model.generate(n=2, seed=0).shape == (2, 1, 16, 16)
    assert model.config.data.segmentation is False  # the data follows the model's switch


def _new_and_old_paths(model, z, level):
    g = model.generator
    h = z
    for k in range(level):
        h = g.block(k, h)
    new = g.to_rgb[level](g.block(level, h))
    old = F.interpolate(g.to_rgb[level - 1](h), scale_factor=2.0, mode="nearest")
    return new, old


def test_generator_fade_in_is_the_old_path_at_0_and_the_new_at_1(tiny_model):
    model = tiny_model()
    z = torch.randn(3, 128)
    with torch.no_grad():
        new, old = _new_and_old_paths(model, z, 2)
        assert torch.equal(model.generator(z, 2, 0.0), old)
        assert torch.equal(model.generator(z, 2, 1.0), new)
        mid = model.generator(z, 2, 0.25)
        assert torch.allclose(mid, 0.75 * old + 0.25 * new, atol=1e-6)
        # The old path is upsampled: every 2x2 block of the alpha-0 output is constant.
        low = model.generator(z, 2, 0.0)
        assert torch.equal(low, F.interpolate(low[..., ::2, ::2], scale_factor=2.0))


def test_critic_fade_in_mirrors_the_generator(tiny_model):
    model = tiny_model()
    d = model.discriminator
    x = torch.rand(4, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        new = d.block(2, F.leaky_relu(d.from_rgb[2](x), 0.2))
        old = F.leaky_relu(d.from_rgb[1](F.avg_pool2d(x, 2)), 0.2)

        def rest(h):
            for k in (1, 0):
                h = d.block(k, h)
            return h

        assert torch.equal(d(x, 2, 0.0), rest(old))
        assert torch.equal(d(x, 2, 1.0), rest(new))


def test_reals_are_pooled_and_faded_like_the_fakes(tiny_model):
    model = tiny_model()
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    model.set_phase(1, 0.0)
    low = F.interpolate(F.avg_pool2d(F.avg_pool2d(x, 2), 2), scale_factor=2.0)
    assert torch.allclose(model.downsample_to_level(x), low, atol=1e-6)
    model.set_phase(1, 1.0)
    assert torch.allclose(model.downsample_to_level(x), F.avg_pool2d(x, 2), atol=1e-6)


def test_active_parameters_follow_the_phase(tiny_model):
    model = tiny_model()
    g = model.generator
    model.set_phase(1, 0.5)
    ids = {id(p) for p in model.generator_parameters()}
    assert id(g.to_rgb[0].weight) in ids and id(g.to_rgb[1].weight) in ids
    assert id(g.blocks[2]["conv0"].weight) not in ids
    model.set_phase(1, 1.0)
    ids = {id(p) for p in model.generator_parameters()}
    assert id(g.to_rgb[0].weight) not in ids and id(g.blocks[1]["conv1"].weight) in ids


def test_equalized_conv_scales_by_he_constant():
    conv = EqualizedConv2d(4, 2, 3, 1)
    x = torch.randn(1, 4, 5, 5)
    expected = F.conv2d(x, conv.weight * (2.0 / (4 * 9)) ** 0.5, conv.bias, padding=1)
    assert torch.allclose(conv(x), expected)


@pytest.mark.parametrize("shape", [(2, 8, 5, 7), (3, 16, 8, 8)])
def test_upsampled_conv_is_the_conv_of_the_nearest_upsampling_values_and_gradients(shape):
    torch.manual_seed(0)
    conv = EqualizedConv2d(shape[1], 4, 3, 1).double()
    with torch.no_grad():
        conv.bias.normal_()
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    want = conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))
    got = conv.upsampled(x)
    assert got.shape == want.shape and torch.allclose(got, want, atol=1e-12)
    weights = torch.randn_like(want)
    params = (x, conv.weight, conv.bias)
    expected = torch.autograd.grad((want * weights).sum(), params)
    for a, b in zip(torch.autograd.grad((got * weights).sum(), params), expected, strict=True):
        assert torch.allclose(a, b, atol=1e-10)
    last = conv.float().upsampled(x.detach().float().contiguous(memory_format=torch.channels_last))
    assert last.is_contiguous(memory_format=torch.channels_last)  # the layout is kept
    with pytest.raises(ValueError, match="3x3 convolutions with padding 1"):
        EqualizedConv2d(4, 4, 1, 0).upsampled(x.detach().float())


def test_pixel_norm_gives_unit_mean_square_per_pixel():
    y = PixelNorm()(torch.randn(2, 8, 3, 3) * 5)
    assert torch.allclose(y.pow(2).mean(dim=1), torch.ones(2, 3, 3), atol=1e-4)


def test_minibatch_std_appends_the_group_std():
    x = torch.zeros(4, 2, 1, 1)
    x[:, 0, 0, 0] = torch.tensor([0.0, 2.0, 0.0, 2.0])  # std 1 over the group, channel 0
    y = MinibatchStdDev(group_size=4)(x)
    assert y.shape == (4, 3, 1, 1)
    # mean over (2 channels) of the per-channel std: (1 + 0) / 2
    assert torch.allclose(y[:, 2], torch.full((4, 1, 1), 0.5), atol=1e-3)


def test_sampling_in_chunks_gives_the_images_of_one_batch(tiny_model, monkeypatch):
    from zoo_core.generation import chunks
    from zoo_core.plugin_api import latent

    model = tiny_model().eval()
    with torch.no_grad():
        whole = model(latent(5, model.latent_dim, "cpu", torch.Generator().manual_seed(3)))
        monkeypatch.setattr(chunks, "CHUNK_BYTES", 1)  # one image at a time
        assert model.images_per_chunk() == 1
        chunked = model.sample(5, None, torch.Generator().manual_seed(3))
    # batch-size-dependent convolution kernels round differently, nothing more
    assert chunked.shape == whole.shape and torch.allclose(chunked, whole, rtol=1e-4, atol=1e-5)
