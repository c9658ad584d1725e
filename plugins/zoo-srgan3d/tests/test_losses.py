"""Eqs. (1)-(2) of the paper through the trainer, against hand-computed values."""

from __future__ import annotations

import pytest
import torch

from zoo_core.api import model_config
from zoo_core.registry import get_registry
from zoo_core.training import GANTrainer


def test_config_asks_for_least_squares_and_mse():
    cfg = model_config("sanchez-srgan3d")
    assert cfg.train.adversarial == "lsgan"
    assert dict(cfg.train.loss_weights) == {"l2": 500.0}


def test_lsgan_losses_on_sigmoid_outputs_by_hand():
    lsgan = get_registry().loss("lsgan")()
    real, fake = torch.tensor([[0.8], [0.6]]), torch.tensor([[0.3], [0.1]])
    # eq. (1): 1/2 [D(x) - 1]^2 + 1/2 [D(G(z))]^2, averaged over the batch
    d = 0.5 * ((0.2**2 + 0.4**2) / 2) + 0.5 * ((0.3**2 + 0.1**2) / 2)
    assert lsgan.d_loss(real, fake).item() == pytest.approx(d)  # 0.0625
    # eq. (2)'s adversarial term with w_adv = 1/2: 1/2 [D(G(z)) - 1]^2
    assert lsgan.g_loss(fake).item() == pytest.approx(0.5 * ((0.7**2 + 0.9**2) / 2))


def test_trainer_losses_are_eqs_1_and_2(tiny_model, tmp_path):
    model = tiny_model()
    cfg = model.config
    data = [{"target": torch.rand(1, 12, 12, 12) * 2 - 1} for _ in range(2)]
    trainer = GANTrainer(model, cfg, data, tmp_path, "sanchez-srgan3d-mni152", progress=False)
    batch = model.prepare_batch({"target": torch.stack([d["target"] for d in data])})

    def critic(images, batch_):
        value = 0.8 if images is batch_["target"] else 0.3
        return torch.full((images.shape[0], 1), value) + 0 * images.mean()

    model.critic = critic
    d_loss, _ = trainer.discriminator_loss(batch)
    assert d_loss.item() == pytest.approx(0.5 * 0.2**2 + 0.5 * 0.3**2)  # 0.065
    g_loss, logs = trainer.generator_loss(batch)
    assert logs["g_adv"] == pytest.approx(0.5 * 0.7**2)  # 0.245
    with torch.no_grad():
        mse = torch.mean((model.generator(batch["condition"]) - batch["target"]) ** 2).item()
    assert logs["l2"] == pytest.approx(mse, rel=1e-4)
    # l_G = w_content * MSE + w_adv * [D(G(z)) - 1]^2 with w_content = 500, w_adv = 1/2
    assert g_loss.item() == pytest.approx(500 * logs["l2"] + 0.5 * 0.7**2, rel=1e-5)
