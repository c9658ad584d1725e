"""The weights that ship with the plugin: intact, loadable offline, and past a quality floor."""

from __future__ import annotations

import pytest
import torch
from zoo_cyclegan import SHIPPED

import zoo_core as zoo
from zoo_core.api import model_spec
from zoo_core.testing import check_shipped_weights, shipped_weight_keys


@pytest.mark.parametrize("model_id", SHIPPED)
def test_shipped_files_match_their_card_and_only_the_generators_ship(model_id):
    assert check_shipped_weights(model_spec(model_id)) <= 20 * 2**20
    keys = shipped_weight_keys(model_id)
    assert any(k.startswith("generator.ab.") for k in keys)
    assert any(k.startswith("generator.ba.") for k in keys)  # b2a and the cycle need it
    assert all(key.startswith("generator.") for key in keys)


@pytest.fixture(scope="module")
def held_out(tmp_path_factory):
    from zoo_cyclegan.mrct import write_mr_ct_split

    folder = tmp_path_factory.mktemp("mrct")
    write_mr_ct_split(folder)
    return folder


@pytest.mark.parametrize("model_id", SHIPPED)
def test_shipped_model_keeps_the_brain_and_makes_brain_ct(model_id, held_out):
    """A quick floor under the card's figures, on 8 held-out MR slices: the synthetic CT
    covers the input's brain (card: Dice 0.99), its brain HU lie near the real CT's (median
    37 HU; the MR read as CT: 69 HU), and the MR comes back from it (card: above 22 dB)."""
    from zoo_cyclegan.evaluation import (
        brain_mask,
        dice,
        domain_slices,
        evenly,
        slab_psnr,
        translate,
    )

    model = zoo.load(model_id)
    assert model.weights_info["source"].startswith("shipped:")
    mr = evenly(domain_slices(model, held_out / "test" / "domain_a", "mr"), 8)
    fake_ct = translate(model, mr, "a2b")
    cycled = translate(model, fake_ct, "b2a")
    unit = {k: (v.clamp(-1, 1) + 1) / 2 for k, v in dict(mr=mr, ct=fake_ct, back=cycled).items()}
    mask = brain_mask(unit["mr"])
    assert dice(mask, brain_mask(unit["ct"])) > 0.95
    low, high = model.config.data.hu_window
    hu = low + (high - low) * unit["ct"][:, 0].numpy()[mask]
    assert abs(float(torch.tensor(hu).median()) - 37) < 10
    assert slab_psnr(unit["back"], unit["mr"]) > 20
