"""The weights that ship with the plugin: intact, loadable offline, and past a quality floor."""

from __future__ import annotations

import pytest
from zoo_stylecgan import SHIPPED

import zoo_core as zoo
from zoo_core.api import model_spec
from zoo_core.testing import check_shipped_weights, shipped_weight_keys


@pytest.mark.parametrize("model_id", SHIPPED)
def test_shipped_files_match_their_card_and_keep_the_discriminator(model_id):
    assert check_shipped_weights(model_spec(model_id)) <= 20 * 2**20
    keys = shipped_weight_keys(model_id)
    assert any(k.startswith("generator.") for k in keys)
    assert any(k.startswith("discriminator.") for k in keys)  # --style adapts G against D


@pytest.fixture(scope="module")
def held_out(tmp_path_factory):
    from zoo_stylecgan.data import prepare_headct

    return prepare_headct(tmp_path_factory.mktemp("headct"), every=4, split_z=110, size=128)


@pytest.mark.parametrize("model_id", SHIPPED)
def test_shipped_model_draws_the_held_out_maps(model_id, held_out):
    """A quick floor under the card's figures, on every 4th held-out slice drawn without
    adaptation: the background and grey matter re-segment to their map (card, unadapted:
    Dice 0.99 and 0.91), white matter mostly (card: 0.77)."""
    from zoo_stylecgan.evaluation import style_report

    model = zoo.load(model_id)
    assert model.weights_info["source"].startswith("shipped:")
    assert model.discriminator_loaded
    report = style_report(model, held_out, adapt_steps=0)
    regions = {r["region"]: r for r in report["metrics"]["regions"]}
    assert regions["background"]["dice"] > 0.97
    assert regions["grey matter"]["dice"] > 0.85
    assert regions["white matter"]["dice"] > 0.6
