"""WGAN and WGAN-GP: conformance, the papers' settings, the critic, the penalty by hand."""

import torch

from zoo_core.testing import check_plugin

TINY = ["model.g_filters=8", "model.d_filters=8", "model.resolution=16"]
IDS = ["arjovsky-wgan-mni152", "gulrajani-wgangp-mni152"]


def _cfg(model_id, overrides=()):
    from zoo_core import config
    from zoo_core.registry import get_registry

    reg = get_registry()
    return config.load(reg.architecture("wgan"), reg.model(model_id).config_path(), list(overrides))


def test_plugin_passes_the_conformance_kit():
    assert sorted(check_plugin("wgan", tiny={i: TINY for i in IDS})) == IDS


def test_configs_hold_the_papers_hyper_parameters():
    clip = _cfg("arjovsky-wgan-mni152").train
    assert (clip.adversarial, clip.weight_clip, clip.n_critic, clip.batch_size) == (
        "wgan",
        0.01,
        5,
        64,
    )
    assert (clip.optimizer_d.name, clip.optimizer_d.lr) == ("rmsprop", 5e-5)
    gp = _cfg("gulrajani-wgangp-mni152")
    t = gp.train
    assert (t.adversarial, t.gp_weight, t.n_critic, t.weight_clip) == ("wgan-gp", 10.0, 5, None)
    assert (t.optimizer_d.name, t.optimizer_d.lr, list(t.optimizer_d.betas)) == (
        "adam",
        1e-4,
        [0.0, 0.9],
    )
    assert gp.model.critic_norm == "layer"


def test_gp_critic_has_no_batch_norm_and_an_unbounded_output():
    from zoo_core.api import build

    model = build("wgan", _cfg("gulrajani-wgangp-mni152", TINY))
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.discriminator.modules())
    assert any(isinstance(m, torch.nn.GroupNorm) for m in model.discriminator.modules())
    assert not any(isinstance(m, torch.nn.Sigmoid) for m in model.discriminator.modules())
    with torch.no_grad():
        model.discriminator.head.weight.mul_(1000)
    scores = model.discriminator(torch.rand(4, 1, 16, 16) * 2 - 1)
    assert scores.shape == (4, 1) and scores.abs().max() > 1  # not squashed into (0, 1)


def test_gradient_penalty_by_hand_on_a_linear_critic():
    """D(x) = <w, x> has gradient w everywhere: the penalty is (||w|| - 1)^2 for any x_hat."""
    from zoo_core.registry import get_registry

    penalty = get_registry().loss("gradient_penalty")()
    w = torch.zeros(1, 1, 4, 4)
    w[0, 0, 0, :2] = torch.tensor([3.0, 4.0])  # ||w|| = 5
    value = penalty(
        lambda x: (x * w).flatten(1).sum(1), torch.randn(3, 1, 4, 4), torch.randn(3, 1, 4, 4)
    )
    assert torch.isclose(value, torch.tensor(16.0))  # (5 - 1)^2


def test_short_clipped_run_keeps_critic_weights_in_bounds_and_moves_losses(tmp_path):
    from zoo_core.api import build
    from zoo_core.training import GANTrainer

    overrides = [*TINY, "train.batch_size=4", "train.steps=3", "train.log_every=1"]
    cfg = _cfg("arjovsky-wgan-mni152", overrides)
    model = build("wgan", cfg)
    assert max(p.abs().max() for p in model.discriminator.parameters()) > 0.01  # N(1, .02) BN
    torch.manual_seed(0)
    data = [{"target": torch.rand(1, 16, 16) * 2 - 1} for _ in range(8)]
    trainer = GANTrainer(model, cfg, data, tmp_path, "arjovsky-wgan-mni152", progress=False)
    trainer.fit()
    bound = max(p.abs().max() for p in model.discriminator.parameters())
    assert bound <= 0.01
    rows = trainer.history.rows
    assert len({round(r["d_loss"], 7) for r in rows}) > 1
    assert len({round(r["g_loss"], 7) for r in rows}) > 1


def test_short_gp_run_logs_the_penalty_and_moves_losses(tmp_path):
    from zoo_core.api import build
    from zoo_core.training import GANTrainer

    overrides = [*TINY, "train.batch_size=4", "train.steps=2", "train.log_every=1"]
    cfg = _cfg("gulrajani-wgangp-mni152", overrides)
    model = build("wgan", cfg)
    torch.manual_seed(0)
    data = [{"target": torch.rand(1, 16, 16) * 2 - 1} for _ in range(8)]
    trainer = GANTrainer(model, cfg, data, tmp_path, "gulrajani-wgangp-mni152", progress=False)
    trainer.fit()
    rows = trainer.history.rows
    assert all(r["gp"] > 0 for r in rows)
    assert rows[0]["d_loss"] != rows[1]["d_loss"] and rows[0]["g_loss"] != rows[1]["g_loss"]
