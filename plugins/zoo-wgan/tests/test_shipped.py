"""The weights that ship with the plugin: intact, loadable offline, and past a quality floor."""

from __future__ import annotations

import pytest
import torch
from zoo_wgan import SHIPPED

import zoo_core as zoo
from zoo_core.api import model_spec
from zoo_core.testing import check_shipped_weights, shipped_weight_keys


@pytest.mark.parametrize("model_id", SHIPPED)
def test_shipped_files_match_their_card_and_only_the_generator_ships(model_id):
    assert check_shipped_weights(model_spec(model_id)) <= 20 * 2**20
    keys = shipped_weight_keys(model_id)
    assert keys and all(key.startswith("generator.") for key in keys)


@pytest.fixture(scope="module")
def training_slices(tmp_path_factory) -> torch.Tensor:
    """The training part of the zoo's MNI152 split, read as the model trains, in [0, 1]."""
    from zoo_core.data.shipped import write_mni152
    from zoo_core.metrics.sets import training_set

    split = write_mni152(tmp_path_factory.mktemp("mni152-split"), held_out=True)
    model = zoo.load(SHIPPED[0], pretrained=False)
    return training_set(model, split / "train", limit=None).images


@pytest.mark.parametrize("model_id", SHIPPED)
def test_shipped_samples_lie_near_the_training_slices_without_copying_them(
    model_id, training_slices
):
    """A quick floor on what the cards' memorisation figures show: samples of a trained
    generator are about 0.2 (RMS, [0, 1] units, median) from their nearest training slice,
    an untrained one's 0.34; a copy would be at 0."""
    from zoo_core.metrics.memorisation import nearest_neighbours

    model = zoo.load(model_id)
    assert model.weights_info["source"].startswith("shipped:")
    samples = model.generate(n=16, seed=0)
    assert samples.shape == (16, 1, 64, 64)
    distance, _ = nearest_neighbours((samples + 1) / 2, training_slices)
    assert float(distance.median()) < 0.3
    assert float(distance.min()) > 0.02
