"""`zoo train` on real head CT slices, then `zoo generate CHECKPOINT` with a style and --perturb."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from zoo_stylecgan.data import region_pairs

import zoo_core as zoo
from zoo_core.api import build, model_config
from zoo_core.cli import cli
from zoo_core.io import is_synthetic

STEPS = 4


@pytest.fixture(scope="module")
def trained(headct_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    overrides = [
        "model.resolution=32", "model.g_depth=4", "model.g_filters=8", "model.g_max_filters=32",
        "model.d_filters=8", "model.d_max_filters=32", "model.noise_side=8",
        "data.spatial_size=[32,32]", "train.vgg_allow_random=true", "train.vgg_hub_repo=null",
        "train.feature_network=vgg19", "train.style_layers=[relu1_1,relu2_1,relu3_1,relu4_1]",
        "train.content_layer=relu4_2", f"train.steps={STEPS}", "train.log_every=1",
        "train.checkpoint_every=0", "train.optimizer_g.lr=0.002", "data.style_min_gap=24",
    ]  # fmt: skip
    with pytest.warns(UserWarning, match="RANDOM weights"):
        final = zoo.train("krishna-stylecgan-headct", data=headct_dir, overrides=overrides,
                          out_dir=out, progress=False)  # fmt: skip
    return final, out


def test_dataset_pairs_slices_maps_and_distant_styles(headct_dir, tiny):
    cfg = model_config("krishna-stylecgan-headct", [*tiny, "data.style_min_gap=24"])
    data = region_pairs(cfg.data, headct_dir)
    assert not data.derived  # prepare_headct wrote maps/
    item = data[0]
    assert item["target"].shape == (1, 32, 32) and item["label"].dtype == torch.int64
    assert set(item) == {"target", "label", "style", "style_label"}
    assert float(item["target"].min()) >= -1 and float(item["target"].max()) <= 1
    torch.manual_seed(0)
    for index in range(len(data)):
        style = data.style_choice(index)
        assert abs(data.slices[style].position - data.slices[index].position) >= 24
    cfg.data.maps = "no-such-folder"  # maps derived from HU give the same regions
    derived = region_pairs(cfg.data, headct_dir)
    assert derived.derived
    agree = float((derived[0]["label"] == item["label"]).float().mean())
    assert agree > 0.97


def test_generate_from_the_checkpoint_with_style_and_perturbation(
    trained, headct_dir, tmp_path, quiet_random_vgg
):
    import nibabel as nib
    import pydicom

    final, _ = trained
    condition = sorted((headct_dir / "maps").glob("*.png"))[4]
    style = sorted(headct_dir.glob("*.nii.gz"))[-2]  # another slice, in HU

    def run(fmt):
        out = tmp_path / fmt
        args = ["generate", str(final), "--condition", str(condition), "--style", str(style),
                "--perturb", "-n", "1", "--adapt-steps", "2", "--allow-random-vgg",
                "--format", fmt, "--out", str(out)]  # fmt: skip
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return out, f"{condition.name.removesuffix('.png')}_000"

    out, stem = run("nifti")
    record = json.loads((out / "provenance.json").read_text())
    assert record["synthetic"] and record["options"]["perturb"]
    assert record["options"]["adapt_steps"] == 2
    assert record["options"]["style"]["file"] == style.name
    assert record["weights_sha256"] is None and record["model_id"] == "krishna-stylecgan-headct"
    hu = nib.load(str(out / f"{stem}.nii.gz")).get_fdata()
    assert hu.shape == (32, 32) and hu.min() >= -50.0 - 1e-3 and hu.max() <= 150.0 + 1e-3
    out, stem = run("dicom")
    ds = pydicom.dcmread(out / f"{stem}.dcm")
    assert ds.Modality == "CT" and is_synthetic(ds)
    dicom_hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    # zoo_core's writers take (C, X, Y); DICOM stores X along the columns, hence the transpose
    np.testing.assert_allclose(dicom_hu, hu.T, atol=0.01)


def test_g_loss_is_eq_8_and_d_loss_is_adversarial_only(headct_dir, tiny, quiet_random_vgg):
    from zoo_stylecgan.data import region_pairs
    from zoo_stylecgan.trainer import StyleCGANTrainer

    weights = ["train.style_weight=2.0", "train.content_weight=3.0", "train.tv_weight=5.0"]
    cfg = model_config("krishna-stylecgan-headct", [
        *tiny, *weights, "train.vgg_allow_random=true", "train.vgg_hub_repo=null",
        "data.style_min_gap=24", "train.batch_size=2"])  # fmt: skip
    data = region_pairs(cfg.data, headct_dir)
    torch.manual_seed(0)
    model = build("stylecgan", cfg)
    trainer = StyleCGANTrainer(model, cfg, data, headct_dir / "unused", "krishna-stylecgan-headct",
                               progress=False)  # fmt: skip
    batch = {key: torch.stack([data[i][key] for i in (0, 1)]) for key in data[0]}
    batch = model.prepare_batch(batch, trainer.noise)
    loss, logs = trainer.generator_loss(batch)
    expected = logs["g_adv"] + 2 * logs["style"] + 3 * logs["content"] + 5 * logs["tv"]
    assert set(logs) == {"g_adv", "style", "content", "tv"}
    assert float(loss.detach()) == pytest.approx(expected, rel=1e-5)
    assert min(logs["style"], logs["content"], logs["tv"]) > 0
    d_loss, d_logs = trainer.discriminator_loss(batch)
    assert set(d_logs) == {"d_adv"} and float(d_loss.detach()) == pytest.approx(d_logs["d_adv"])


def test_a_model_trained_with_a_random_vgg_is_published_saying_so(trained, tmp_path):
    final, _ = trained
    zoo.push(final, "me/style-demo", to=f"dir:{tmp_path / 'hub'}")
    model = zoo.load("me/style-demo", source=f"dir:{tmp_path / 'hub'}")
    assert "RANDOMLY initialised VGG-19" in model.card.zoo["limitations"]
    assert "## Notes from training" in model.card.body


def test_the_style_adaptation_reports_its_steps(trained, headct_dir, quiet_random_vgg):
    from zoo_core.generation.progress import reporting

    final, _ = trained
    model = zoo.load(str(final))
    condition = torch.zeros(1, 1, 32, 32)
    style = sorted(headct_dir.glob("*.nii.gz"))[-2]
    heard = []
    with reporting(lambda *event: heard.append(event)):
        model.generate(condition=condition, seed=0, style=style, adapt_steps=3,
                       allow_random_vgg=True)  # fmt: skip
    assert heard == [("adapting G to the style image", i, 3) for i in (1, 2, 3)]
    other_map = torch.ones(1, 1, 32, 32)  # not cached: adapts again, with nobody listening
    model.generate(condition=other_map, seed=0, style=style, adapt_steps=3, allow_random_vgg=True)
    assert len(heard) == 3
