"""The weights that ship with the plugin: intact, loadable offline, and at their target."""

from __future__ import annotations

import numpy as np
import pytest

import zoo_core as zoo
from zoo_core.api import model_spec
from zoo_core.testing import check_shipped_weights, shipped_weight_keys

ID = "mangalagiri-cgan3d-headct-autoencode"
DENOISER = "mangalagiri-cgan3d-headct"
DEPIXELATOR = "mangalagiri-cgan3d-headct-depixelate"


@pytest.mark.parametrize("model_id", [ID, DENOISER, DEPIXELATOR])
def test_shipped_files_match_their_card_and_only_the_generator_ships(model_id):
    assert check_shipped_weights(model_spec(model_id)) <= 20 * 2**20
    keys = shipped_weight_keys(model_id)
    assert keys and all(key.startswith("generator.") for key in keys)


def test_shipped_autoencoder_gives_a_held_out_scan_back_above_40_db_without_seams(head_ct):
    """A quick floor on a 96x96x48 crop of the superior slab (z >= 110) it never saw."""
    from zoo_cgan3d.baselines import seam_ratio, slab_metrics
    from zoo_cgan3d.evaluate import region_mask
    from zoo_cgan3d.reconstruct import reconstruct

    model = zoo.load(ID)
    assert model.weights_info["source"].startswith("shipped:")
    clean = np.asarray(head_ct[53:149, 53:149, 115:163], dtype=np.float32)
    restored = reconstruct(model, clean).hu
    tissue = region_mask(clean, tuple(model.config.data.region_hu))
    metrics = slab_metrics(restored, clean, tissue, float(clean.max() - clean.min()))
    assert metrics["psnr"] >= 40.0, metrics
    assert seam_ratio(restored, 16, tissue) <= 1.1


def test_shipped_denoiser_beats_every_filter_on_a_held_out_crop(head_ct):
    """A quick floor on a 96x96x48 crop of the superior slab (z >= 110) it never saw: the card's
    whole-slab figures are +1.00 dB over the best filter; inside the brain the margin is
    smaller (+0.6 dB when this test was written)."""
    from zoo_cgan3d.evaluate import evaluate_scan

    model = zoo.load(DENOISER)
    assert model.weights_info["source"].startswith("shipped:") and model.slope_input
    crop = np.asarray(head_ct[53:149, 53:149, 115:163], dtype=np.float32)
    slab = evaluate_scan(model, crop, region_hu=tuple(model.config.data.region_hu)).slab
    ours = slab.pop("cgan3d")
    assert ours["psnr"] > slab.pop("condition")["psnr"] + 10.0
    for name, baseline in slab.items():  # the best gaussian, median 3^3 and 5^3
        assert ours["psnr"] >= baseline["psnr"] + 0.4, (name, ours, baseline)
        assert ours["psnr_tissue"] >= baseline["psnr_tissue"] + 0.3, (name, ours, baseline)


def test_shipped_depixelator_beats_tricubic_on_a_held_out_crop(head_ct):
    """A quick floor on a 96x96x48 crop of the superior slab (z >= 110) it never saw; the
    card's whole-slab figures are +1.85 dB over tricubic (+1.19 inside the brain), on this
    crop +1.90 (+1.55) when this test was written."""
    from zoo_cgan3d.evaluate import evaluate_scan

    model = zoo.load(DEPIXELATOR)
    assert model.weights_info["source"].startswith("shipped:")
    crop = np.asarray(head_ct[53:149, 53:149, 114:162], dtype=np.float32)
    slab = evaluate_scan(model, crop, region_hu=tuple(model.config.data.region_hu)).slab
    ours, tricubic = slab["cgan3d"], slab["tricubic"]
    assert ours["psnr"] > slab["condition"]["psnr"] + 5.0
    assert ours["psnr"] >= tricubic["psnr"] + 1.3, (ours, tricubic)
    assert ours["psnr_tissue"] >= tricubic["psnr_tissue"] + 1.0, (ours, tricubic)


def test_shipped_depixelator_beats_tricubic_on_held_out_mri():
    """The MNI152 T1's superior half (held out; training saw the inferior one) as the card
    reads MRI (x100): on a 96x96x48 crop +3.10 dB over tricubic (+3.23 inside the head) when
    this test was written, +2.53 (+2.16) on the whole half in the card."""
    from zoo_cgan3d.evaluate import evaluate_scan
    from zoo_cgan3d.headct import MR_SCALE

    from zoo_core.plugin_api import mni152_slabs

    model = zoo.load(DEPIXELATOR)
    mri = np.asarray(mni152_slabs("t1")["test"].dataobj, dtype=np.float32) * MR_SCALE
    x, y = mri.shape[0] // 2, mri.shape[1] // 2
    crop = mri[x - 48 : x + 48, y - 48 : y + 48, :48]
    slab = evaluate_scan(model, crop, region_hu=tuple(model.config.data.region_hu)).slab
    ours, tricubic = slab["cgan3d"], slab["tricubic"]
    assert ours["psnr"] >= tricubic["psnr"] + 2.0, (ours, tricubic)
    assert ours["psnr_tissue"] >= tricubic["psnr_tissue"] + 2.0, (ours, tricubic)
