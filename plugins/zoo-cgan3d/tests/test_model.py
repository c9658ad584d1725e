"""The networks, generate() on blocks, the paper's config and the conformance kit."""

from __future__ import annotations

import pytest
import torch

from zoo_core.api import build, model_config
from zoo_core.errors import ZooError
from zoo_core.testing import check_plugin

IDS = [
    "mangalagiri-cgan3d-autoencode",
    "mangalagiri-cgan3d-denoise",
    "mangalagiri-cgan3d-depixelate",
    "mangalagiri-cgan3d-headct",
]


TINY = [
    "model.z_dim=2",
    "model.generator_channels=[8,16,32]",
    "model.generator_strides=[2,2]",
    "model.discriminator_channels=8",
    "model.discriminator_layers=2",
]


def tiny_model(model_id="mangalagiri-cgan3d-denoise"):
    torch.manual_seed(0)
    return build("cgan3d", model_config(model_id, TINY))


def test_generator_keeps_the_shape_of_the_condition():
    model = tiny_model()
    for side in (32, 48):
        cond = torch.rand(2, 1, side, side, side) * 2 - 1
        out = model.generate(condition=cond, seed=0)
        assert out.shape == cond.shape
        assert out.min() >= -1 and out.max() <= 1


def test_generate_is_seeded_and_z_matters():
    model = tiny_model()
    cond = torch.rand(4, 1, 32, 32, 32) * 2 - 1
    a, b = model.generate(condition=cond, seed=1), model.generate(condition=cond, seed=1)
    c = model.generate(condition=cond, seed=2)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_z_is_uniform_on_minus_one_one():
    z = tiny_model().draw_z(20_000, torch.Generator().manual_seed(0))
    assert z.shape == (20_000, 2) and float(z.min()) >= -1 and float(z.max()) <= 1
    # U(-1, 1): mean 0, variance 1/3, a quarter of the mass in each half-unit interval
    assert abs(float(z.mean())) < 0.02 and abs(float(z.var()) - 1 / 3) < 0.01
    counts = torch.histc(z, bins=4, min=-1, max=1) / z.numel()
    assert torch.allclose(counts, torch.full((4,), 0.25), atol=0.01)


def test_generate_rejects_a_whole_scan_shaped_condition():
    with pytest.raises(ZooError, match="batch of blocks"):
        tiny_model().generate(condition=torch.zeros(1, 40, 40, 40), seed=0)
    with pytest.raises(ZooError, match="multiples of 4"):
        tiny_model().generate(condition=torch.zeros(1, 1, 30, 32, 32), seed=0)


def test_paper_config_has_the_paper_sizes():
    cfg = model_config("mangalagiri-cgan3d-depixelate")
    assert cfg.model.block_size == 32 and cfg.train.batch_size == 50
    assert cfg.train.steps == 341500 and cfg.train.loss_weights == {"l1": 100.0}
    model = build("cgan3d", cfg)
    assert model.block_size == 32 and model.task == "depixelate"
    batch = model.prepare_batch(model.example_batch(2))
    assert model.critic(model.fake_batch(batch), batch).shape == (2, 1, 2, 2, 2)


def test_the_conformance_kit_passes():
    assert sorted(check_plugin("cgan3d", tiny={i: TINY for i in IDS})) == IDS
