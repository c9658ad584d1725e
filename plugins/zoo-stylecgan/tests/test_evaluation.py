"""The head CT's held-out split and `zoo evaluate`'s figures on models whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from zoo_stylecgan.data import prepare_headct, read_map
from zoo_stylecgan.evaluation import region_dice, style_montage, style_partner, style_report
from zoo_stylecgan.regions import region_map

from zoo_core.api import model_config
from zoo_core.plugin_api import read_image


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    """Every 6th slice, cut at z = 110, resized to 32 pixels (the real head CT)."""
    return prepare_headct(tmp_path_factory.mktemp("split"), every=6, split_z=110, size=32)


def _z(path) -> int:
    return int(path.name.split("_z")[1][:3])


def test_the_split_is_two_contiguous_slabs_with_maps_of_the_stored_ct(split):
    train = sorted((split / "train").glob("*.nii.gz"))
    test = sorted((split / "test").glob("*.nii.gz"))
    assert train and test and max(map(_z, train)) < 110 <= min(map(_z, test))
    for path in (train[0], test[-1]):
        hu, _ = read_image(path)
        assert hu.shape == (1, 32, 32)
        labels = read_map(path.parent / "maps" / path.name.replace(".nii.gz", ".png"),
                          [0, 50, 100, 150, 200, 230], 6)  # fmt: skip
        np.testing.assert_array_equal(labels, region_map(hu, "brain"))  # pixel for pixel


class Answering:
    """A stand-in model for `style_report` whose sample is decided by ``answer``."""

    def __init__(self, answer):
        self.config = model_config("krishna-stylecgan-headct", ["model.resolution=32"])
        self.resolution, self.num_classes, self.device = 32, 6, torch.device("cpu")
        self.answer = answer
        self.asked = []

    def sample(self, n, condition, generator, *, style, style_map, content, adapt_steps):
        self.asked.append(adapt_steps)
        return self.answer(condition, style, style_map, content)


def test_a_copy_of_the_content_keeps_the_map_and_takes_no_style(split):
    model = Answering(lambda condition, style, style_map, content: content)
    report = style_report(model, split, adapt_steps=3)
    metrics = report["metrics"]
    assert model.asked == [3] * metrics["n_slices"]
    tissue = [r for r in metrics["regions"][1:] if r["slices_compared"]]
    assert tissue and metrics["min_tissue_dice"] == 1.0
    assert all(r["hu_to_content"] == 0.0 and r["share_nearer_style"] == 0.0 for r in tissue)
    assert "| csf |" in report["markdown"]


def test_painting_each_region_with_the_styles_mean_takes_the_style(split):
    def paint(condition, style, style_map, content):
        out = torch.full_like(content, -1.0)  # 0 HU, the atlas's outside
        for k in range(1, 6):
            if (condition == k).any() and (style_map == k).any():
                out[condition == k] = style[style_map == k].mean()
        return out

    metrics = style_report(Answering(paint), split, adapt_steps=0)["metrics"]
    tissue = [r for r in metrics["regions"][1:] if r["slices_compared"]]
    assert all(r["hu_to_style"] < 1e-3 < r["hu_to_content"] for r in tissue)
    # A region's mean HU lies inside the region's HU range, so re-segmenting gives the map back
    # wherever the style slice has the region.
    assert min(r["dice"] for r in tissue if r["region"] != "csf") > 0.95


def test_region_dice_and_the_style_partner_by_hand():
    truth = np.array([[0, 1, 1, 2]])
    assert region_dice(np.array([[0, 1, 2, 2]]), truth, 4) == [1.0, 2 / 3, 2 / 3, None]
    assert [style_partner(i, 5) for i in range(5)] == [2, 3, 4, 0, 1]


def test_the_montage_shows_map_content_style_and_sample_per_row(split, tmp_path):
    from PIL import Image

    model = Answering(lambda condition, style, style_map, content: -content)
    path = style_montage(model, split, tmp_path / "m.png", rows=2, adapt_steps=0)
    picture = np.asarray(Image.open(path).convert("L"), dtype=np.float64)
    assert picture.shape[1] > 3.5 * picture.shape[0] / 2  # four tiles a row, two rows
    assert model.asked == [0, 0]
