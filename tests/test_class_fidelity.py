"""Class fidelity of class-conditional models on a held-out split."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from zoo_core.metrics.class_fidelity import (
    LabelledSet,
    PixelClassifier,
    class_fidelity,
    code_agreement,
    unseen_real_accuracy,
)


def _two_classes(n: int, seed: int) -> LabelledSet:
    """Class 0 is bright in its upper half, class 1 in its lower half; noise everywhere."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    images = torch.rand(n, 1, 16, 16, generator=g) * 0.6
    for i, label in enumerate(labels):
        rows = slice(0, 8) if label == 0 else slice(8, 16)
        images[i, 0, rows] += 0.4
    return LabelledSet(images, labels)


def test_the_classifier_tells_classes_apart_on_images_it_was_not_fitted_on():
    real = _two_classes(40, 0)
    assert unseen_real_accuracy(real, 2) == 1.0
    unseen = _two_classes(20, 1)
    predicted = PixelClassifier(2).fit(real.images, real.labels).predict(unseen.images)
    assert torch.equal(predicted, unseen.labels)
    # Labels that say nothing about the image cannot be learnt from it.
    order = torch.randperm(40, generator=torch.Generator().manual_seed(3))
    shuffled = LabelledSet(real.images, real.labels[order])
    assert unseen_real_accuracy(shuffled, 2) < 0.8


def test_fidelity_counts_samples_in_the_class_they_were_asked_for():
    real, drawn = _two_classes(40, 0), _two_classes(20, 1)
    faithful = class_fidelity(drawn.images, drawn.labels, real, 2)
    assert faithful["accuracy"] == 1.0 and faithful["per_class"] == {"0": 1.0, "1": 1.0}
    # A generator that ignores its label and always draws class 1.
    deaf = class_fidelity(drawn.images[drawn.labels == 1].repeat(2, 1, 1, 1), drawn.labels, real, 2)
    assert deaf["per_class"] == {"0": 0.0, "1": 1.0} and deaf["accuracy"] == 0.5
    assert deaf["classifier_accuracy_unseen_real"] == 1.0 and deaf["n_generated"] == 20


def test_code_agreement_matches_codes_to_classes_one_to_one():
    real, drawn = _two_classes(40, 0), _two_classes(20, 1)
    # Code 0 draws class 1 and code 1 class 0: a swapped code is still a perfect one.
    swapped = code_agreement(drawn.images, 1 - drawn.labels, real, 2)
    assert swapped["accuracy"] == 1.0 and swapped["assignment"] == {"0": 1, "1": 0}
    assert swapped["counts"] == [[0, 10], [10, 0]]
    # Both codes draw class 1: one-to-one, only one of them can be matched to it.
    ones = drawn.images[drawn.labels == 1].repeat(2, 1, 1, 1)
    deaf = code_agreement(ones, drawn.labels, real, 2)
    assert deaf["accuracy"] == 0.5 and deaf["counts"] == [[0, 10], [0, 10]]


def test_zoo_evaluate_on_a_split_reports_class_fidelity_for_a_class_conditional_model(
    tmp_path, monkeypatch
):
    from click.testing import CliRunner
    from helpers.held_out import save_model_folder, use_pooled_features, write_split

    from zoo_core.cli import cli
    from zoo_core.testing import tiny_model

    write_split(tmp_path / "split", {"train": 8, "test": 6}, side=8, low=0.1)
    folder = save_model_folder(tiny_model("mirza-cgan-mni152"), tmp_path / "model",
                               "mirza-cgan-mni152")  # fmt: skip
    use_pooled_features(monkeypatch)
    result = CliRunner().invoke(cli, ["evaluate", str(folder), "--real", str(tmp_path / "split"),
                                      "--json", "--out", str(tmp_path / "eval")])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # One sample per training slice, drawn for its level: 8 slices in 4 levels of 2.
    assert report["distribution"]["n_generated"] == 8
    fidelity = report["class_fidelity"]
    assert sorted(fidelity["per_class"]) == ["0", "1", "2", "3"]
    assert fidelity["accuracy"] == pytest.approx(np.mean(list(fidelity["per_class"].values())))
    assert "samples put in it by the classifier" in (tmp_path / "eval" / "metrics.md").read_text()
