"""WGAN and WGAN-GP: conformance, the papers' settings, the critic, the penalty by hand."""

import torch

from zoo_core.testing import check_plugin, tiny_config, tiny_model

IDS = ["arjovsky-wgan-mni152", "gulrajani-wgangp-mni152"]


def test_plugin_passes_the_conformance_kit():
    assert sorted(check_plugin("wgan")) == IDS


def test_configs_hold_the_papers_hyper_parameters():
    clip = tiny_config("arjovsky-wgan-mni152", tiny=False).train
    # Batch 32 instead of the paper's 64: the demo-scale run's training part holds 66 slices.
    assert (clip.adversarial, clip.weight_clip, clip.n_critic, clip.batch_size) == (
        "wgan",
        0.01,
        5,
        32,
    )
    assert (clip.optimizer_d.name, clip.optimizer_d.lr) == ("rmsprop", 5e-5)
    gp = tiny_config("gulrajani-wgangp-mni152", tiny=False)
    t = gp.train
    assert (t.adversarial, t.gp_weight, t.n_critic, t.weight_clip) == ("wgan-gp", 10.0, 5, None)
    assert (t.optimizer_d.name, t.optimizer_d.lr, list(t.optimizer_d.betas)) == (
        "adam",
        1e-4,
        [0.0, 0.9],
    )
    assert gp.model.critic_norm == "layer"


def test_gp_critic_has_no_batch_norm_and_an_unbounded_output():
    model = tiny_model("gulrajani-wgangp-mni152")
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


def test_a_clipped_step_brings_the_critic_weights_into_bounds(tmp_path):
    """Weight clipping is on in Arjovsky et al.'s config (the kit checks that training moves
    the critic, not where it keeps it)."""
    from zoo_core.plugin_api import GANTrainer

    model_id = "arjovsky-wgan-mni152"
    model = tiny_model(model_id)
    assert max(p.abs().max() for p in model.discriminator.parameters()) > 0.01  # N(1, .02) BN
    cfg = tiny_config(model_id, "train.batch_size=4", "train.steps=1", "train.n_critic=1")
    data = [{"target": torch.rand(1, 16, 16) * 2 - 1} for _ in range(4)]
    GANTrainer(model, cfg, data, tmp_path, model_id, progress=False).fit()
    assert max(p.abs().max() for p in model.discriminator.parameters()) <= 0.01
