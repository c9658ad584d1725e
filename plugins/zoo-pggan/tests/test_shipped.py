"""The weights that ship with the plugin: intact, loadable offline, and at their target."""

from __future__ import annotations

import numpy as np
import pytest

import zoo_core as zoo
from zoo_core.api import model_spec
from zoo_core.testing import check_shipped_weights, shipped_weight_keys

ID = "beers-pggan-mni152"


def test_shipped_files_match_their_card_and_only_the_generator_ships():
    """No critic and no latent encoder (the GAN loop does not train it): the generator and
    the phase buffers (level, alpha) that say it is fully grown."""
    assert check_shipped_weights(model_spec(ID)) <= 20 * 2**20
    keys = shipped_weight_keys(ID)
    assert {k for k in keys if not k.startswith("generator.")} == {"level", "alpha"}


@pytest.fixture(scope="module")
def training_slices(tmp_path_factory) -> np.ndarray:
    """The real training part of the split (below world z = 0) at the model's 128 px."""
    from zoo_pggan.data import training_dataset
    from zoo_pggan.prepare import prepare_mni152

    from zoo_core.plugin_api import model_config

    out = tmp_path_factory.mktemp("mni152-split")
    train = prepare_mni152(out, held_out=True).parent
    dataset = training_dataset(model_config(ID).data, train)
    return np.stack([np.asarray(dataset.array[i]) for i in range(len(dataset))])


def test_shipped_samples_are_128px_slices_whose_maps_follow_their_t1(training_slices):
    """A quick floor on the card's agreement figure (0.95 for each tissue): a classifier
    fitted on the real training slices finds the generated GM/WM maps in generated T1."""
    from zoo_pggan.agreement import TissueClassifiers

    model = zoo.load(ID)
    assert model.weights_info["source"].startswith("shipped:")
    samples = model.generate(n=8, seed=0)
    assert samples.shape == (8, 3, 128, 128)
    assert float(samples.min()) >= -1.0 and float(samples.max()) <= 1.0
    classifiers = TissueClassifiers(n_image=1).fit(training_slices)
    grey, white = classifiers.auc(samples.numpy())
    assert grey >= 0.95 and white >= 0.95, (grey, white)
