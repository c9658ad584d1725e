"""The weights that ship with the plugin: intact, loadable offline, and at their target."""

from __future__ import annotations

import numpy as np

import zoo_core as zoo
from zoo_core.api import model_spec
from zoo_core.testing import check_shipped_weights

ID = "mangalagiri-cgan3d-headct-autoencode"


def test_shipped_files_match_their_card_and_only_the_generator_ships():
    from safetensors import safe_open

    assert check_shipped_weights(model_spec(ID)) <= 20 * 2**20
    with safe_open(str(model_spec(ID).weights_path() / "model.safetensors"), "pt") as handle:
        assert all(key.startswith("generator.") for key in handle.keys())  # noqa: SIM118


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
