"""The weights that ship with the plugin: intact, loadable offline, and better than tricubic."""

from __future__ import annotations

import numpy as np
import torch

import zoo_core as zoo
from zoo_core.api import model_spec
from zoo_core.testing import check_shipped_weights

ID = "sanchez-srgan3d-mni152"


def test_shipped_files_match_their_card_and_load_offline():
    assert check_shipped_weights(model_spec(ID)) <= 20 * 2**20


def test_shipped_model_beats_tricubic_on_held_out_mri():
    """A quick quality floor on a 48x48x32 block of the held-out superior slab."""
    from zoo_srgan3d.evaluate import evaluate_volume
    from zoo_srgan3d.mni152 import mni152_slabs

    from zoo_core.data.intensity import intensity_transform

    model = zoo.load(ID)
    assert model.weights_info["source"].startswith("shipped:")
    slab = np.asarray(mni152_slabs()["test"].dataobj, dtype=np.float32)
    block = slab[50:98, 70:118, 10:42][None]
    normalised = intensity_transform(model.config.data).fit(block).forward(block)
    with torch.no_grad():
        results = evaluate_volume(model, torch.from_numpy(normalised))
    ours, tricubic = results["srgan3d"], results["tricubic"]
    assert ours["psnr"] >= tricubic["psnr"] + 1.0, results
    assert ours["ssim"] > tricubic["ssim"]
    assert ours["hf_ratio"] > tricubic["hf_ratio"]


def test_only_the_generator_ships():
    from safetensors import safe_open

    folder = model_spec(ID).weights_path()
    with safe_open(str(folder / "model.safetensors"), "pt") as handle:
        keys = list(handle.keys())
    assert keys and all(k.startswith("generator.") for k in keys)
