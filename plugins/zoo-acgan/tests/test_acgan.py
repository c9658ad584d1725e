"""ACGAN: conformance, the auxiliary-classifier term by hand, shapes, labels, the class head."""

import math

import nibabel as nib
import numpy as np
import torch

from zoo_core.testing import check_plugin, tiny_config, tiny_model

ID = "odena-acgan-mni152"


def test_plugin_passes_the_conformance_kit():
    assert check_plugin("acgan") == [ID]


def test_auxiliary_classifier_term_by_hand():
    model = tiny_model(ID, "model.aux_weight=0.5")
    logits = {"real": torch.tensor([[2.0, 0.0]]), "fake": torch.tensor([[0.0, 0.0]])}
    real, fake = torch.zeros(1, 1, 16, 16), torch.ones(1, 1, 16, 16)
    model.class_logits = lambda x: logits["real"] if torch.equal(x, real) else logits["fake"]
    batch = {"target": real, "label": torch.tensor([0]), "condition": torch.tensor([1])}
    # CE(real: logits (2, 0), class 0) = log(1 + e^-2); CE(fake: logits (0, 0), class 1) = log 2
    expected = 0.5 * (math.log(1 + math.exp(-2)) + math.log(2))
    assert math.isclose(float(model.auxiliary_loss(batch, fake)), expected, rel_tol=1e-6)


def test_class_conditioned_generation_shapes_and_one_hot_equivalence():
    model = tiny_model(ID)
    by_index = model.generate(condition=torch.tensor([0, 1, 1]), seed=1)
    by_onehot = model.generate(condition=torch.tensor([[1.0, 0], [0, 1], [0, 1]]), seed=1)
    assert by_index.shape == (3, 1, 16, 16) and torch.equal(by_index, by_onehot)
    source, classes = model.discriminator(by_index)
    assert source.shape == (3, 1) and classes.shape == (3, 2)


def test_tissue_labels_split_slices_at_the_median_white_matter_share(tmp_path):
    from zoo_acgan.data import tissue_slices

    shape = (8, 8, 6)
    t1 = np.zeros(shape, np.float32)
    t1[2:6, 2:6, :] = 100.0  # foreground in every slice
    wm_share = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9], np.float32)
    gm = np.ones(shape, np.float32) * (1 - wm_share)
    wm = np.ones(shape, np.float32) * wm_share
    for name, data in {"t1": t1, "gm": gm, "wm": wm}.items():
        nib.save(nib.Nifti1Image(data, np.eye(4)), tmp_path / f"{name}.nii.gz")
    data_cfg = tiny_config(ID, "data.spatial_size=[8,8]", "data.intensity=minmax").data
    ds = tissue_slices(data_cfg, tmp_path)
    assert [int(ds[i]["label"]) for i in range(len(ds))] == [0, 0, 0, 1, 1, 1]
    assert ds[0]["target"].shape == (1, 8, 8)


def test_the_discriminator_optimiser_trains_the_class_head():
    """The kit checks that training moves the discriminator, not which of its heads: the
    class head must be among the parameters its optimiser updates."""
    model = tiny_model(ID)
    trained = {id(p) for p in model.discriminator_parameters()}
    assert all(id(p) in trained for p in model.discriminator.classes.parameters())


def test_prepared_mni152_tissues_split_real_slices_into_two_balanced_classes(tmp_path):
    from zoo_acgan.data import prepare_mni152_tissues, tissue_slices

    from zoo_core.data.shipped import mni152_path

    folder = prepare_mni152_tissues(tmp_path / "mni")
    assert (folder / "gm.nii.gz").read_bytes() == mni152_path("gm").read_bytes()
    # Centre crops (no anti-aliased resize of every slice) keep the test fast.
    overrides = ["data.spatial_size=[16,16]", "data.intensity=minmax", "data.size_mode=crop"]
    ds = tissue_slices(tiny_config(ID, *overrides).data, folder)
    assert ds[0]["target"].shape == (1, 16, 16)
    # A median split: as many white- as grey-matter-rich slices (one more grey when odd).
    assert 0 <= ds.labels.count(0) - ds.labels.count(1) <= 1 and len(ds) > 50


def test_the_held_out_split_holds_aligned_slabs_of_all_three_volumes(tmp_path):
    """Training part below world z = 0 mm, held-out part above, T1 and maps on one grid."""
    import nibabel as nib
    from zoo_acgan.data import GM, T1, WM, prepare_mni152_tissues

    folder = prepare_mni152_tissues(tmp_path / "split", held_out=True)
    for part in ("train", "test"):
        images = [nib.load(folder / part / name) for name in (T1, GM, WM)]
        assert len({im.shape for im in images}) == 1
        assert all((im.affine == images[0].affine).all() for im in images)
    below, above = (nib.load(folder / part / T1) for part in ("train", "test"))
    top_of_train = (below.affine @ [0, 0, below.shape[2] - 1, 1])[2]
    assert top_of_train < 0 <= (above.affine @ [0, 0, 0, 1])[2]


def test_zoo_generate_draws_the_classes_asked_for_by_name_or_index(tmp_path):
    import json

    from click.testing import CliRunner
    from PIL import Image

    from zoo_core.cli import cli

    def run(*args):
        return CliRunner().invoke(cli, ["generate", ID, "--untrained", *args])

    result = run("--class", "white-matter-rich", "--class", "0", "-n", "2", "--out", tmp_path / "a")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "a").glob("*.png"))
    assert files == [
        "grey-matter-rich_00000.png",
        "grey-matter-rich_00001.png",
        "white-matter-rich_00000.png",
        "white-matter-rich_00001.png",
    ]
    assert Image.open(tmp_path / "a" / files[0]).size == (64, 64)
    provenance = json.loads((tmp_path / "a" / "provenance.json").read_text())
    assert provenance["classes"] == [
        {"index": 1, "name": "white-matter-rich"},
        {"index": 0, "name": "grey-matter-rich"},
    ]

    every = run("--out", tmp_path / "b")  # no --class: one sample of every class
    assert every.exit_code == 0, every.output
    assert len(list((tmp_path / "b").glob("*.png"))) == 2

    unknown = run("--class", "csf", "--out", tmp_path / "c")
    assert unknown.exit_code != 0
    assert "unknown class 'csf'; this model's classes: 0 (grey-matter-rich)" in unknown.output


def test_evaluate_generates_every_class_in_turn():
    from zoo_core.metrics.evaluate import _generate_set

    model = tiny_model(ID)
    generated, paired = _generate_set(model, 5, None, seed=0, batch_size=2)
    assert generated.images.shape == (5, 1, 16, 16) and not paired


def test_networks_are_odena_et_al_s_cifar10_table_at_32x32():
    model = tiny_model(ID, "model.resolution=32", "model.num_classes=10", "model.channels=3",
                       tiny=False)  # fmt: skip
    ups = [m for m in model.generator.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert model.generator.project[0].in_features == 110  # 100 noise + 10 classes
    assert model.generator.project[0].out_features == 384 * 4 * 4
    assert [(m.in_channels, m.out_channels, m.kernel_size, m.stride) for m in ups] == [
        (384, 192, (5, 5), (2, 2)), (192, 96, (5, 5), (2, 2)), (96, 3, (5, 5), (2, 2))
    ]  # fmt: skip
    convs = [m for m in model.discriminator.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(m.out_channels, m.kernel_size, m.stride[0]) for m in convs] == [
        (16, (3, 3), 2), (32, (3, 3), 1), (64, (3, 3), 2), (128, (3, 3), 1),
        (256, (3, 3), 2), (512, (3, 3), 1),
    ]  # fmt: skip
    dropouts = [m.p for m in model.discriminator.modules() if isinstance(m, torch.nn.Dropout)]
    assert dropouts == [0.5] * 6
    assert model.discriminator.classes.in_features == 512 * 4 * 4
    out = model.generate(condition=torch.tensor([0, 9]), seed=0)
    assert out.shape == (2, 3, 32, 32)
