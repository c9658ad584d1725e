"""MGAN: conformance, the fixed VGG encoder, patch scores, weights policy."""

import pytest
import torch

from zoo_core.testing import check_plugin, tiny_model

ID = "li-mgan-mni152"


def _model(*overrides, tiny=True):
    with pytest.warns(UserWarning, match="RANDOM"):
        return tiny_model(ID, *overrides, tiny=tiny)


def test_plugin_passes_the_conformance_kit():
    with pytest.warns(UserWarning, match="RANDOM"):
        assert check_plugin("mgan") == [ID]


def test_refuses_random_vgg_unless_allowed(monkeypatch):
    from zoo_core.errors import ConfigError

    monkeypatch.delenv("ZOO_VGG19_WEIGHTS", raising=False)
    with pytest.raises(ConfigError, match="vgg_weights"):
        tiny_model(ID, "model.resolution=32", tiny=False)


def test_vgg_weights_file_is_loaded(tmp_path):
    from safetensors.torch import save_file

    model = _model()
    state = {f"features.{k}": v.clone() + 1 for k, v in model.vgg.features.state_dict().items()}
    save_file(state, tmp_path / "vgg.safetensors")
    weights = tmp_path / "vgg.safetensors"
    loaded = tiny_model(ID, "model.allow_random_vgg=false", f"model.vgg_weights={weights}")
    assert torch.equal(loaded.vgg.features[0].weight, state["features.0.weight"])


def test_shapes_frozen_encoder_and_patch_scores():
    model = _model("model.resolution=64", "data.spatial_size=[64,64]")
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
