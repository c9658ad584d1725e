"""InfoGAN: conformance, the mutual-information term by hand, shapes, a short run."""

import math

import torch

from zoo_core.testing import check_plugin

ID = "chen-infogan-mni152"
TINY = ["model.g_filters=8", "model.d_filters=8", "model.resolution=16", "model.q_hidden=8"]


def _cfg(overrides=()):
    from zoo_core import config
    from zoo_core.registry import get_registry

    reg = get_registry()
    return config.load(reg.architecture("infogan"), reg.model(ID).config_path(), list(overrides))


def _model(overrides=TINY):
    from zoo_core.api import build

    return build("infogan", _cfg(overrides))


def test_plugin_passes_the_conformance_kit():
    assert check_plugin("infogan", tiny={ID: TINY}) == [ID]


def test_mutual_information_term_by_hand():
    model = _model([*TINY, "model.categories=2", "model.continuous=1",
                    "model.lambda_categorical=1.0", "model.lambda_continuous=0.5"])  # fmt: skip
    # Q says: categorical logits (0, 0); continuous mean 0, log-std 0 (a unit Gaussian)
    model.discriminator.codes = lambda x: (torch.zeros(1, 2), torch.zeros(1, 1), torch.zeros(1, 1))
    batch = {"code_cat": torch.tensor([1]), "code_cont": torch.tensor([[1.0]])}
    # CE = log 2; NLL(1 | N(0, 1)) = 0.5 log(2 pi) + 0.5
    expected = math.log(2) + 0.5 * (0.5 * math.log(2 * math.pi) + 0.5)
    value = model.auxiliary_loss(batch, torch.zeros(1, 1, 16, 16))
    assert math.isclose(float(value), expected, rel_tol=1e-6)


def test_codes_shapes_and_q_head():
    model = _model()
    batch = model.prepare_batch(model.example_batch(3))
    assert batch["code_cat"].shape == (3,) and batch["code_cont"].shape == (3, 2)
    assert batch["code_cont"].abs().max() <= 1
    fake = model.fake_batch(batch)
    logits, mean, log_std = model.discriminator.codes(fake)
    assert fake.shape == (3, 1, 16, 16)
    assert logits.shape == (3, 10) and mean.shape == (3, 2) and log_std.shape == (3, 2)
    out = model.generate_codes(torch.tensor([1, 1]), torch.tensor([[-1.0, 0], [1.0, 0]]), seed=0)
    assert out.shape == (2, 1, 16, 16)


def test_short_run_moves_losses_and_lowers_the_mi_term(tmp_path):
    from zoo_core.training import GANTrainer

    cfg = _cfg([*TINY, "train.batch_size=8", "train.steps=6", "train.log_every=1"])
    model = _model()
    torch.manual_seed(0)
    data = [{"target": torch.rand(1, 16, 16) * 2 - 1} for _ in range(16)]
    trainer = GANTrainer(model, cfg, data, tmp_path, ID, progress=False)
    trainer.fit()
    rows = trainer.history.rows
    assert len({round(r["d_loss"], 6) for r in rows}) > 1
    assert len({round(r["g_loss"], 6) for r in rows}) > 1
    assert rows[-1]["d_aux"] < rows[0]["d_aux"]  # Q learns to read the codes back


def test_networks_are_chen_et_al_s_mnist_table_at_28x28():
    model = _model(["model.resolution=28"])
    g, d = model.generator, model.discriminator
    layers = (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d)

    def sizes(module):
        return [
            (m.in_features, m.out_features) if isinstance(m, torch.nn.Linear)
            else (m.in_channels, m.out_channels, m.kernel_size, m.stride)
            for m in module.modules() if isinstance(m, layers)
        ]  # fmt: skip

    # G: 62 noise + 10 categorical + 2 continuous -> FC 1024 -> FC 7x7x128 -> 64 -> 1
    assert sizes(g) == [(74, 1024), (1024, 7 * 7 * 128), (128, 64, (4, 4), (2, 2)),
                        (64, 1, (4, 4), (2, 2))]  # fmt: skip
    # D: 64 -> 128 -> FC 1024 -> 1; Q: FC 128 -> 10 logits + 2 means + 2 log-stds
    assert sizes(d.trunk) == [(1, 64, (4, 4), (2, 2)), (64, 128, (4, 4), (2, 2)),
                              (7 * 7 * 128, 1024)]  # fmt: skip
    assert sizes(d.source) == [(1024, 1)] and sizes(d.q) == [(1024, 128), (128, 14)]
    assert model.generate(n=2, seed=0).shape == (2, 1, 28, 28)
