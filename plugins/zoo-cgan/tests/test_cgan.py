"""Conditional GAN: conformance, the label in both players, level labels, a short run."""

import torch

from zoo_core.testing import check_plugin

ID = "mirza-cgan-mni152"
TINY = ["model.z_hidden=16", "model.y_hidden=16", "model.joint_hidden=32", "model.resolution=8",
        "model.d_x_units=16", "model.d_y_units=4", "model.d_joint_units=8"]  # fmt: skip


def _cfg(overrides=()):
    from zoo_core import config
    from zoo_core.registry import get_registry

    reg = get_registry()
    return config.load(reg.architecture("cgan"), reg.model(ID).config_path(), list(overrides))


def _model(overrides=TINY):
    from zoo_core.api import build

    return build("cgan", _cfg(overrides))


def test_plugin_passes_the_conformance_kit():
    assert check_plugin("cgan", tiny={ID: TINY}) == [ID]


def test_paper_layer_sizes_and_maxout():
    from zoo_cgan.model import Maxout

    model = _model([])
    g = model.generator
    assert (g.z[0].out_features, g.y[0].out_features, g.joint[0].out_features) == (200, 1000, 1200)
    assert g.joint[3].out_features == 32 * 32
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
    model = _model().eval()
    a = model.generate(condition=torch.tensor([0, 0]), seed=0)
    b = model.generate(condition=torch.tensor([3, 3]), seed=0)
    assert a.shape == (2, 1, 8, 8) and not torch.allclose(a, b)
    x = torch.rand(2, 1, 8, 8)
    s0 = model.critic(x, {"condition": torch.tensor([0, 0])})
    s3 = model.critic(x, {"condition": torch.tensor([3, 3])})
    assert s0.shape == (2, 1) and not torch.allclose(s0, s3)


def test_level_labels_bin_slices_bottom_to_top():
    from zoo_cgan.data import level_labels

    assert level_labels(8, 4) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert level_labels(5, 2) == [0, 0, 0, 1, 1]


def test_short_run_moves_both_losses(tmp_path):
    from zoo_core.training import GANTrainer

    cfg = _cfg([*TINY, "train.batch_size=8", "train.steps=4", "train.log_every=1"])
    model = _model()
    torch.manual_seed(0)
    data = [
        {"target": torch.rand(1, 8, 8) * 2 - 1, "label": torch.tensor(i % 4)} for i in range(16)
    ]
    trainer = GANTrainer(model, cfg, data, tmp_path, ID, progress=False)
    trainer.fit()
    rows = trainer.history.rows
    assert len({round(r["d_loss"], 6) for r in rows}) > 1
    assert len({round(r["g_loss"], 6) for r in rows}) > 1
