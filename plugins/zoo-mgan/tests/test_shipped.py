"""The weights that ship with the plugin: intact, loadable offline, and past a quality floor."""

from __future__ import annotations

import pytest
import torch
from zoo_mgan import SHIPPED

import zoo_core as zoo
from zoo_core.api import model_spec
from zoo_core.testing import check_shipped_weights, shipped_weight_keys


@pytest.mark.parametrize("model_id", SHIPPED)
def test_shipped_files_match_their_card_and_hold_no_discriminator(model_id):
    assert check_shipped_weights(model_spec(model_id)) <= 20 * 2**20
    keys = shipped_weight_keys(model_id)
    assert any(k.startswith("generator.") for k in keys)
    assert any(k.startswith("features.") for k in keys)  # the frozen encoder, self-contained
    assert not any(k.startswith("discriminator.") for k in keys)


@pytest.fixture(scope="module")
def held_out_slices(tmp_path_factory) -> torch.Tensor:
    """Every 8th slice of the held-out part of the zoo's MNI152 split, in [-1, 1]."""
    from zoo_mgan.evaluation import real_slices

    from zoo_core.data.shipped import write_mni152

    split = write_mni152(tmp_path_factory.mktemp("mni152-split"), held_out=True)
    model = zoo.load(SHIPPED[0], pretrained=False)
    return real_slices(model, split / "test")[::8]


@pytest.mark.parametrize("model_id", SHIPPED)
def test_shipped_model_puts_texture_back_on_blurred_held_out_slices(model_id, held_out_slices):
    """A quick floor under the card's figures: the rendering has more of the real slice's
    fine detail and nearer texture statistics than the blurred slice it was given."""
    from zoo_mgan.evaluation import render, texture_figures

    model = zoo.load(model_id)
    assert model.weights_info["source"].startswith("shipped:")
    content, rendered = render(model, held_out_slices)
    figures = texture_figures(held_out_slices, {"input": content, "model": rendered})
    before, after = figures["input"], figures["model"]
    assert after["gram_distance"] < before["gram_distance"]
    assert after["detail_energy"] > before["detail_energy"]
