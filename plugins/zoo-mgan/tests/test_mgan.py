"""MGAN: conformance, both frozen encoders, patch scores, weights policy, the texture protocol."""

import pytest
import torch

from zoo_core.testing import check_plugin, tiny_model

ID = "li-mgan-mni152"
VGG = "model.feature_network=vgg19"


def _untrained(tmp_path, *overrides):
    """A folder with the tiny untrained model (weights, config, card), as zoo commands load."""
    from zoo_mgan import TINY

    import zoo_core as zoo

    model = zoo.load(ID, pretrained=False, overrides=[*TINY, *overrides])
    return model.save_pretrained(tmp_path / "model")


def _vgg_model(*overrides):
    with pytest.warns(UserWarning, match="RANDOM"):
        return tiny_model(ID, VGG, "model.allow_random_vgg=true", *overrides)


def test_plugin_passes_the_conformance_kit():
    assert check_plugin("mgan") == [ID]


def test_refuses_random_vgg_unless_allowed(monkeypatch):
    from zoo_core.errors import ConfigError

    monkeypatch.delenv("ZOO_VGG19_WEIGHTS", raising=False)
    with pytest.raises(ConfigError, match=r"vgg_weights.*inception-v3"):
        tiny_model(ID, VGG, "model.resolution=32", tiny=False)


def test_unknown_feature_network_is_named():
    from zoo_core.errors import ConfigError

    with pytest.raises(ConfigError, match="feature_network must be one of vgg19, inception-v3"):
        tiny_model(ID, "model.feature_network=resnet50")


def test_vgg_weights_file_is_loaded(tmp_path):
    from safetensors.torch import save_file

    model = _vgg_model()
    vgg = model.features.features
    state = {f"features.{k}": v.clone() + 1 for k, v in vgg.state_dict().items()}
    save_file(state, tmp_path / "vgg.safetensors")
    weights = tmp_path / "vgg.safetensors"
    loaded = tiny_model(ID, VGG, f"model.vgg_weights={weights}")
    assert torch.equal(loaded.features.features[0].weight, state["features.0.weight"])


@pytest.mark.parametrize(("network", "encoded_channels"), [("vgg19", 512), ("inception-v3", 288)])
def test_shapes_frozen_encoder_and_patch_scores(network, encoded_channels):
    overrides = ("model.resolution=64", "data.spatial_size=[64,64]")
    model = _vgg_model(*overrides) if network == "vgg19" else tiny_model(ID, *overrides)
    batch = model.prepare_batch(model.example_batch(2))
    assert batch["condition"].shape == (2, 1, 64, 64)
    assert batch["condition"].std() < batch["target"].std()  # the blur removes texture
    # both encoders give maps at 1/8 of the image for the decoder
    assert model.encode(batch["condition"]).shape == (2, encoded_channels, 8, 8)
    fake = model.fake_batch(batch)
    assert fake.shape == (2, 1, 64, 64)
    # patch maps at 1/4 (16, or 17 for Inception), two stride-2 convs give 4x4 scores, the
    # border of 1 leaves 2x2
    assert model.critic(fake, batch).shape == (2, 1, 2, 2)
    trainable = {id(p) for p in model.generator_parameters() + model.discriminator_parameters()}
    assert not any(p.requires_grad or id(p) in trainable for p in model.features.parameters())


def test_inception_maps_are_on_the_images_grid():
    """A change in one corner of the image changes the encoder's maps near that corner only."""
    model = tiny_model(ID)
    image = torch.zeros(1, 1, 256, 256)
    before = model.encode(image)
    assert before.shape[-2:] == (32, 32)
    image[..., 224:, 224:] = 1.0
    changed = (model.encode(image) - before).abs().amax(dim=(0, 1)) > 1e-4
    assert changed[-1, -1] and not changed[:8, :8].any()


def test_texture_figures_score_the_truth_perfectly_and_a_blur_as_texture_poor():
    from zoo_mgan.evaluation import texture_figures
    from zoo_mgan.model import gaussian_blur

    real = torch.rand(3, 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    figures = texture_figures(real, {"truth": real, "blurred": gaussian_blur(real, 2.0)})
    truth, blurred = figures["truth"], figures["blurred"]
    assert truth["gram_distance"] == 0 and truth["detail_energy"] == pytest.approx(1)
    assert truth["psnr"] == float("inf")
    assert blurred["gram_distance"] > 0.1 and blurred["detail_energy"] < 0.1


def test_zoo_evaluate_on_a_split_reports_texture_and_fid_beside_the_floor(tmp_path, monkeypatch):
    import json

    from click.testing import CliRunner

    from zoo_core.cli import cli
    from zoo_core.data.shipped import save_volume

    for part, count in {"train": 6, "test": 4}.items():
        rng = torch.Generator().manual_seed(count)
        save_volume(torch.rand(32, 32, count, generator=rng).numpy(), torch.eye(4).numpy(),
                    tmp_path / "split" / part / "v.nii.gz", "test")  # fmt: skip
    folder = _untrained(tmp_path, "data.skip_empty=false")
    pooled = lambda x: torch.nn.functional.adaptive_avg_pool2d(x, 4).flatten(1)  # noqa: E731
    monkeypatch.setattr("zoo_core.metrics.features.get_extractor", lambda *a, **k: pooled)
    split, out = str(tmp_path / "split"), str(tmp_path / "e")
    args = ["evaluate", str(folder), "--real", split, "--out", out]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["slices"] == 4
    assert report["input"]["detail_energy"] < 1
    d = report["distribution"]
    assert (d["model"]["n_generated"], d["model"]["n_held_out"]) == (4, 4)
    assert d["input"]["fid_floor"] == pytest.approx(d["model"]["fid_floor"])
    table = CliRunner().invoke(cli, args).stdout
    assert "Gram distance" in table and "floor" in table


def test_montage_shows_input_rendering_and_truth(tmp_path):
    from PIL import Image
    from zoo_mgan import TINY
    from zoo_mgan.evaluation import texture_montage

    import zoo_core as zoo
    from zoo_core.data.shipped import save_volume

    volume = torch.rand(32, 32, 5, generator=torch.Generator().manual_seed(0)).numpy()
    save_volume(volume, torch.eye(4).numpy(), tmp_path / "vols" / "v.nii.gz", "test")
    model = zoo.load(ID, pretrained=False, overrides=[*TINY, "data.skip_empty=false"])
    path = texture_montage(model, tmp_path / "vols", tmp_path / "m.png", rows=2)
    width, height = Image.open(path).size
    assert width > 2 * height  # six tiles a row, two rows


def test_zoo_generate_renders_slices_whose_sides_are_not_multiples_of_eight(tmp_path):
    """A scan's slices (here 37 x 45) are padded to the encoder's multiple and cropped back."""
    import nibabel as nib
    from click.testing import CliRunner

    from zoo_core.cli import cli
    from zoo_core.data.shipped import save_volume

    folder = _untrained(tmp_path)
    volume = torch.rand(37, 45, 2, generator=torch.Generator().manual_seed(0)).numpy()
    save_volume(volume, torch.eye(4).numpy(), tmp_path / "smooth.nii.gz", "test")
    args = ["generate", str(folder), "--condition", str(tmp_path / "smooth.nii.gz")]
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert nib.load(tmp_path / "out" / "smooth_000.nii.gz").shape == (37, 45, 2)
