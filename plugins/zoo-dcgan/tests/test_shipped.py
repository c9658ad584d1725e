"""The weights that ship with the plugin: intact, loadable offline, and past a quality floor."""

from __future__ import annotations

import pytest
import torch

import zoo_core as zoo
from zoo_core.api import model_spec
from zoo_core.testing import check_shipped_weights, shipped_weight_keys

ID = "radford-dcgan-mni152"


def test_shipped_files_match_their_card_and_only_the_generator_ships():
    assert check_shipped_weights(model_spec(ID)) <= 20 * 2**20
    keys = shipped_weight_keys(ID)
    assert keys and all(key.startswith("generator.") for key in keys)


@pytest.fixture(scope="module")
def training_slices(tmp_path_factory) -> torch.Tensor:
    """The training part of the zoo's MNI152 split, read as the model trains, in [0, 1]."""
    from zoo_core.data.shipped import write_mni152
    from zoo_core.metrics.sets import training_set

    split = write_mni152(tmp_path_factory.mktemp("mni152-split"), held_out=True)
    model = zoo.load(ID, pretrained=False)
    return training_set(model, split / "train", limit=None).images


def test_shipped_samples_lie_near_the_training_slices_without_copying_them(training_slices):
    """A quick floor on what the card's memorisation figures show: samples of the trained
    generator are about 0.13 (RMS, [0, 1] units) from their nearest training slice, an
    untrained one's 0.34; a copy would be at 0."""
    from zoo_core.metrics.memorisation import nearest_neighbours

    model = zoo.load(ID)
    assert model.weights_info["source"].startswith("shipped:")
    samples = model.generate(n=16, seed=0)
    assert samples.shape == (16, 1, 64, 64)
    distance, _ = nearest_neighbours((samples + 1) / 2, training_slices)
    assert float(distance.median()) < 0.2
    assert float(distance.min()) > 0.02
