"""Conditional GAN: conformance, the label in both players, level labels."""

import torch

from zoo_core.testing import check_plugin, tiny_model

ID = "mirza-cgan-mni152"


def test_plugin_passes_the_conformance_kit():
    assert check_plugin("cgan") == [ID]


def test_paper_layer_sizes_and_maxout():
    from zoo_cgan.model import Maxout

    model = tiny_model(ID, tiny=False)
    g = model.generator
    assert (g.z[0].out_features, g.y[0].out_features, g.joint[0].out_features) == (200, 1000, 1200)
    assert g.joint[3].out_features == 64 * 64
    # dropout 0.5 on every hidden layer of both players (the paper applies it to both)
    dropouts = [m.p for net in (g, model.discriminator) for m in net.modules()
                if isinstance(m, torch.nn.Dropout)]  # fmt: skip
    assert dropouts == [0.5] * 6
    d = model.discriminator
    assert d.x[0].linear.out_features == 240 * 5 and d.y[0].linear.out_features == 50 * 5
    assert d.joint[0].linear.out_features == 240 * 4
    m = Maxout(1, 2, 3)
    with torch.no_grad():
        m.linear.weight.copy_(torch.tensor([[1.0], [2.0], [3.0], [-1.0], [0.0], [1.0]]))
        m.linear.bias.zero_()
    assert torch.equal(m(torch.tensor([[2.0]])), torch.tensor([[6.0, 2.0]]))


def test_label_reaches_generator_and_discriminator():
    model = tiny_model(ID).eval()
    a = model.generate(condition=torch.tensor([0, 0]), seed=0)
    b = model.generate(condition=torch.tensor([3, 3]), seed=0)
    assert a.shape == (2, 1, 8, 8) and not torch.allclose(a, b)
    x = torch.rand(2, 1, 8, 8)
    s0 = model.critic(x, {"condition": torch.tensor([0, 0])})
    s3 = model.critic(x, {"condition": torch.tensor([3, 3])})
    assert s0.shape == (2, 1) and not torch.allclose(s0, s3)


def test_level_labels_bin_slices_bottom_to_top():
    from zoo_core.data.slices import level_labels

    assert level_labels(8, 4) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert level_labels(5, 2) == [0, 0, 0, 1, 1]
