"""zoo evaluate reads real data the way the model was trained on it when plain reading cannot.

A 2D model trained on slices of NIfTI volumes must be compared with slices, not volumes.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
import torch
from helpers.example import TINY, render_example
from helpers.held_out import save_model_folder, use_pooled_features, write_split

import zoo_core as zoo
from zoo_core.metrics.evaluate import evaluate


@pytest.fixture
def example(plugin_site):
    model_id = render_example(plugin_site, "evalgan")
    plugin_site.activate()
    return model_id


def test_volumes_are_read_as_the_training_slices_of_a_2d_model(example, tmp_path):
    rng = np.random.default_rng(0)
    volume = rng.uniform(0, 1, size=(16, 16, 5)).astype(np.float32)
    (tmp_path / "real").mkdir()
    nib.save(nib.Nifti1Image(volume, np.eye(4)), str(tmp_path / "real" / "vol.nii.gz"))
    model = zoo.load(
        example, pretrained=False, overrides=[*TINY, "data.mode=slices", "data.skip_empty=false"]
    )
    result = evaluate(model, real=tmp_path / "real", generate=4, metrics=["memorisation"])
    assert any("5 of 5 training items" in note for note in result["notes"])


def test_the_real_set_is_read_without_the_training_augmentation(example, tmp_path):
    """Flips and quarter turns are for training: a set that is measured is the same on every
    read, as the images are."""
    from zoo_core.metrics.sets import training_set

    rng = np.random.default_rng(0)
    volume = rng.uniform(0, 1, size=(16, 16, 6)).astype(np.float32)
    (tmp_path / "real").mkdir()
    nib.save(nib.Nifti1Image(volume, np.eye(4)), str(tmp_path / "real" / "vol.nii.gz"))
    overrides = [*TINY, "data.mode=slices", "data.skip_empty=false", "data.augment=true"]
    model = zoo.load(example, pretrained=False, overrides=overrides)
    first, second = (training_set(model, tmp_path / "real").images for _ in range(2))
    assert torch.equal(first, second)
    plain = zoo.load(example, pretrained=False, overrides=overrides[:-1])
    assert torch.equal(first, training_set(plain, tmp_path / "real").images)


def test_a_split_folder_gets_fid_and_kid_against_its_held_out_part_beside_the_floor(
    example, tmp_path, monkeypatch
):
    """`zoo evaluate ID --real SPLIT`: no protocol of the architecture's own is needed."""
    import json

    from click.testing import CliRunner

    from zoo_core.cli import cli
    from zoo_core.metrics import held_out

    write_split(tmp_path / "split", {"train": 6, "test": 4}, side=16)
    model = zoo.load(
        example, pretrained=False, overrides=[*TINY, "data.mode=slices", "data.skip_empty=false"]
    )
    folder = save_model_folder(model, tmp_path / "model", example)
    use_pooled_features(monkeypatch)
    result = CliRunner().invoke(cli, ["evaluate", str(folder), "--real", str(tmp_path / "split"),
                                      "--json", "--out", str(tmp_path / "eval")])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    d = report["distribution"]
    assert (d["n_generated"], d["n_train"], d["n_held_out"]) == (6, 6, 4)
    assert d["fid_over_floor"] == pytest.approx(d["fid"] / d["fid_floor"])
    assert report["memorisation"]["nn_distance_min"] > 0
    assert held_out.split_folder(tmp_path / "split") and not held_out.split_folder(folder)
    # A plain folder is not a split: the message says what to pass.
    plain = tmp_path / "split" / "train"
    plain = CliRunner().invoke(cli, ["evaluate", str(folder), "--real", str(plain)])
    assert plain.exit_code != 0 and "train/ and test/" in plain.output
