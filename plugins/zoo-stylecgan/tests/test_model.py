"""Networks at the paper's size, conditions, noise and the conformance kit."""

from __future__ import annotations

import pytest
import torch

from zoo_core.api import build, model_config
from zoo_core.errors import DataError
from zoo_core.testing import check_plugin, tiny_model


def test_paper_sizes_at_512():
    cfg = model_config("krishna-stylecgan-ct")
    assert cfg.model.latent_dim == 200 and cfg.model.resolution == 512
    assert list(cfg.model.label_values) == [0, 50, 100, 150, 200, 230]
    assert cfg.train.batch_size == 1 and cfg.train.optimizer_g.name == "adam"
    assert cfg.train.content_layer == "relu4_2"
    with torch.device("meta"):  # shapes without computing 512x512 convolutions
        model = build("stylecgan", cfg)
        onehot, z = torch.zeros(1, 6, 512, 512), torch.zeros(1, 200)
        assert model.generator(onehot, z).shape == (1, 1, 512, 512)
        assert model.discriminator(torch.zeros(1, 1, 512, 512), onehot).shape == (1, 1)
    assert model.generator.project.in_features == 200
    assert model.generator.project.out_features == 512 * 512  # z fully connected, reshaped
    kernels = {m.kernel_size for m in model.modules() if hasattr(m, "kernel_size")}
    strides = {m.stride for m in model.modules() if hasattr(m, "stride")}
    assert kernels == {(4, 4)} and strides <= {(2, 2), (1, 1)}
    assert not any("Pool" in type(m).__name__ for m in model.modules())


def test_different_z_give_different_images_for_one_map():
    model = tiny_model("krishna-stylecgan-headct")
    gray = torch.tensor([0.0, 50, 100, 150, 200, 230])[torch.randint(6, (1, 1, 4, 4))]
    gray = gray.repeat_interleave(8, 2).repeat_interleave(8, 3)  # a map drawn in gray values
    two = model.generate(condition=gray.expand(2, -1, -1, -1), seed=0)
    assert two.shape == (2, 1, 32, 32) and two.abs().max() <= 1
    scale = float(two.abs().mean())  # an untrained G's outputs are small: compare relatively
    assert float((two[0] - two[1]).abs().mean()) > 0.05 * scale
    other_seed = model.generate(condition=gray, seed=1)
    assert float((other_seed[0] - two[0]).abs().mean()) > 0.05 * scale
    torch.testing.assert_close(model.generate(condition=gray.expand(2, -1, -1, -1), seed=0), two)
    index = model.class_map(gray)  # gray values and class indices are the same condition
    torch.testing.assert_close(model.generate(condition=index.float(), seed=5),
                               model.generate(condition=gray, seed=5))  # fmt: skip


def test_a_windowed_map_is_refused_with_advice():
    model = tiny_model("krishna-stylecgan-headct")
    windowed = torch.full((1, 1, 32, 32), 50.0) / 1000  # what a CT window makes of gray 50
    with pytest.raises(DataError, match="reads map images as label maps"):
        model.generate(condition=windowed)
    with pytest.raises(DataError, match="neither class indices"):
        model.generate(condition=torch.full((1, 1, 32, 32), 7.0))


def test_conformance_kit():
    assert sorted(check_plugin("stylecgan")) == ["krishna-stylecgan-ct", "krishna-stylecgan-headct"]
