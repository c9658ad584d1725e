"""The held-out split, the image/map agreement figure and `zoo evaluate ID --real SPLIT`."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
import torch
from click.testing import CliRunner
from zoo_pggan.agreement import TissueClassifiers


@pytest.fixture(scope="module")
def split_dir(tmp_path_factory):
    from zoo_pggan.prepare import prepare_mni152

    out = tmp_path_factory.mktemp("mni152-split")
    prepare_mni152(out, resolution=2, held_out=True)
    return out


def _blobs(n: int, seed: int) -> np.ndarray:
    """Items (image, map) in [-1, 1]: smooth random images whose map marks image > 0.2."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    image = ndimage.gaussian_filter(rng.standard_normal((n, 32, 32)), (0, 3, 3)) * 4
    image = np.clip(image, -0.9, 1.0)
    tissue = np.where(image > 0.2, 1.0, -1.0)
    return np.stack([image, tissue], axis=1).astype(np.float32)


def test_the_classifier_finds_maps_that_follow_the_image_and_not_maps_that_do_not():
    classifiers = TissueClassifiers(n_image=1).fit(_blobs(8, 0))
    faithful = _blobs(4, 1)
    shuffled = faithful.copy()
    shuffled[:, 1] = shuffled[::-1, 1]  # each image with another image's map
    assert classifiers.auc(faithful)[0] > 0.99
    assert 0.3 < classifiers.auc(shuffled)[0] < 0.7


def test_held_out_split_is_two_contiguous_slabs_that_meet_at_world_z_zero(split_dir):
    train = nib.load(split_dir / "train" / "mni152" / "mni152_t1.nii.gz")
    test = nib.load(split_dir / "test" / "mni152" / "mni152_gm.nii.gz")
    assert train.shape[:2] == test.shape[:2]
    top_of_train = train.affine @ [0, 0, train.shape[2], 1]
    assert top_of_train[2] == pytest.approx(test.affine[2, 3])  # no slice lost or shared
    assert abs(test.affine[2, 3]) <= 1.0  # the first held-out slice: within half a voxel of z = 0
    assert (split_dir / "train" / "labels.csv").is_file()


class PooledPixels(torch.nn.Module):
    """A cheap stand-in for the Inception network of FID: 4x4 average-pooled pixels."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.adaptive_avg_pool2d(x, 4).flatten(1)


def test_samples_are_scored_against_the_held_out_slab_beside_the_floor(split_dir, tiny_model):
    from zoo_pggan.evaluation import markdown
    from zoo_pggan.evaluation import report as held_out_report

    report = held_out_report(tiny_model(), split_dir, extractor=PooledPixels())
    d = report["distribution"]
    assert d["n_generated"] == d["n_train"] and d["n_held_out"] > 10
    assert d["fid"] > 0 and d["fid_floor"] > 0
    assert d["fid_over_floor"] == pytest.approx(d["fid"] / d["fid_floor"])
    # The classifier fitted on the training slab finds the real maps in held-out slices ...
    for tissue in ("grey-matter", "white-matter"):
        assert report["agreement_auc"][tissue]["held_out_real"] > 0.9
    # ... and an untrained generator's maps have nothing to do with its images.
    assert report["agreement_auc"]["white-matter"]["generated"] < 0.9
    assert report["memorisation"]["nn_distance_min"] > 0
    table = markdown(report)
    assert "| white-matter |" in table and "floor" in table


def test_zoo_evaluate_asks_for_the_split_folder(mni_dir, tmp_path):
    from zoo_core.cli import cli

    result = CliRunner().invoke(
        cli, ["evaluate", "beers-pggan-mni152", "--untrained", "--real", str(mni_dir)]
    )
    assert result.exit_code != 0
    assert "needs train/ and test/" in result.output and "--held-out" in result.output


def _fundus_items(folder) -> torch.Tensor:
    """The prepared fundus pictures as items (R, G, B, vessels) in [-1, 1]."""
    from PIL import Image

    items = []
    for path in sorted((folder / "images").glob("*.png")):
        rgb = np.asarray(Image.open(path), dtype=np.float32).transpose(2, 0, 1)
        vessels = np.asarray(Image.open(folder / "vessels" / path.name), dtype=np.float32)
        items.append(np.concatenate([rgb, vessels[None]]) / 127.5 - 1)
    return torch.tensor(np.stack(items))


def test_vesselness_finds_a_pictures_own_vessels_and_not_another_pose(tmp_path):
    from zoo_pggan.evaluation import vessel_auc
    from zoo_pggan.prepare import prepare_fundus

    items = _fundus_items(prepare_fundus(tmp_path / "fundus", size=256, copies=2))
    assert vessel_auc(items) > 0.98  # the filter that drew the maps, at the size it drew them
    mismatched = items.clone()
    mismatched[:, 3] = mismatched[:, 3].flip(-1, -2)  # each photograph with a turned map
    assert 0.3 < vessel_auc(mismatched) < 0.7


def test_zoo_evaluate_on_a_fundus_folder_reports_the_vessel_figure(tmp_path):
    import json

    from zoo_pggan import TINY
    from zoo_pggan.prepare import prepare_fundus

    import zoo_core as zoo
    from zoo_core.cli import cli

    data = prepare_fundus(tmp_path / "fundus", size=8, copies=2)
    model = zoo.load("beers-pggan-retina", pretrained=False, overrides=TINY)
    folder = model.save_pretrained(tmp_path / "model")
    args = ["evaluate", str(folder), "--real", str(data), "--out", str(tmp_path / "e"), "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["n_generated"], report["n_real"]) == (64, 2)
    assert 0 <= report["vessel_auc"]["real"] <= 1
    assert report["memorisation"]["nn_distance_min"] > 0
