"""MGAN: conformance, the fixed VGG encoder, patch scores, weights policy, a short run."""

import pytest
import torch

from zoo_core.testing import check_plugin

ID = "li-mgan-mni152"
TINY = ["model.resolution=32", "model.g_filters=4", "model.d_filters=4",
        "model.allow_random_vgg=true"]  # fmt: skip


def _cfg(overrides=()):
    from zoo_core import config
    from zoo_core.registry import get_registry

    reg = get_registry()
    return config.load(reg.architecture("mgan"), reg.model(ID).config_path(), list(overrides))


def _model(overrides=TINY):
    from zoo_core.api import build

    with pytest.warns(UserWarning, match="RANDOM"):
        return build("mgan", _cfg(overrides))


def test_plugin_passes_the_conformance_kit():
    with pytest.warns(UserWarning, match="RANDOM"):
        assert check_plugin("mgan", tiny={ID: TINY}) == [ID]


def test_refuses_random_vgg_unless_allowed(monkeypatch):
    from zoo_core.api import build
    from zoo_core.errors import ConfigError

    monkeypatch.delenv("ZOO_VGG19_WEIGHTS", raising=False)
    with pytest.raises(ConfigError, match="vgg_weights"):
        build("mgan", _cfg(["model.resolution=32"]))


def test_vgg_weights_file_is_loaded(tmp_path):
    from safetensors.torch import save_file

    model = _model()
    state = {f"features.{k}": v.clone() + 1 for k, v in model.vgg.features.state_dict().items()}
    save_file(state, tmp_path / "vgg.safetensors")
    from zoo_core.api import build

    loaded = build("mgan", _cfg([*TINY[:3], f"model.vgg_weights={tmp_path / 'vgg.safetensors'}"]))
    assert torch.equal(loaded.vgg.features[0].weight, state["features.0.weight"])


def test_shapes_frozen_encoder_and_patch_scores():
    model = _model(["model.resolution=64", "model.g_filters=4", "model.d_filters=4",
                    "model.allow_random_vgg=true"])  # fmt: skip
    batch = model.prepare_batch(model.example_batch(2))
    assert batch["condition"].shape == (2, 1, 64, 64)
    assert batch["condition"].std() < batch["target"].std()  # the blur removes texture
    assert model.encode(batch["condition"]).shape == (2, 512, 8, 8)
    fake = model.fake_batch(batch)
    assert fake.shape == (2, 1, 64, 64)
    # relu3_1 is 16x16, two stride-2 convs give 4x4 patch scores, the border of 1 leaves 2x2
    assert model.critic(fake, batch).shape == (2, 1, 2, 2)
    trainable = {id(p) for p in model.generator_parameters() + model.discriminator_parameters()}
    assert not any(p.requires_grad or id(p) in trainable for p in model.vgg.parameters())


def test_short_run_moves_losses_but_not_the_encoder(tmp_path):
    from zoo_core.training import GANTrainer

    cfg = _cfg([*TINY, "train.batch_size=4", "train.steps=3", "train.log_every=1",
                "train.optimizer_g.lr=0.0002", "train.optimizer_d.lr=0.0002"])  # fmt: skip
    model = _model()
    vgg_before = [p.detach().clone() for p in model.vgg.parameters()]
    torch.manual_seed(0)
    data = [{"target": torch.rand(1, 32, 32) * 2 - 1} for _ in range(8)]
    trainer = GANTrainer(model, cfg, data, tmp_path, ID, progress=False)
    trainer.fit()
    rows = trainer.history.rows
    assert len({round(r["d_loss"], 6) for r in rows}) > 1
    assert len({round(r["g_loss"], 6) for r in rows}) > 1 and "l2" in rows[0]
    assert all(torch.equal(a, b) for a, b in zip(vgg_before, model.vgg.parameters(), strict=True))
