"""The weights that ship with the plugin: intact, loadable offline, and better than tricubic."""

from __future__ import annotations

import numpy as np
import torch

import zoo_core as zoo
from zoo_core.api import model_spec
from zoo_core.testing import check_shipped_weights, shipped_weight_keys

ID = "sanchez-srgan3d-mni152"


def test_shipped_files_match_their_card_and_load_offline():
    assert check_shipped_weights(model_spec(ID)) <= 20 * 2**20


def test_shipped_model_beats_tricubic_on_held_out_mri():
    """A quick quality floor on a 48x48x32 block of the held-out superior slab."""
    from zoo_srgan3d.evaluate import evaluate_volume

    from zoo_core.data.intensity import intensity_transform
    from zoo_core.plugin_api import mni152_slabs

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


def test_shipped_model_in_bf16_agrees_with_fp32_above_35_db():
    """zoo.load(dtype="bf16") on held-out MRI: float32 outputs within bf16's rounding."""
    from zoo_core.data.intensity import intensity_transform
    from zoo_core.plugin_api import mni152_slabs

    full, half = zoo.load(ID), zoo.load(ID, dtype="bf16")
    assert half.dtype == torch.bfloat16
    slab = np.asarray(mni152_slabs()["test"].dataobj, dtype=np.float32)
    block = slab[50:82, 70:102, 10:42][None]
    low = torch.from_numpy(intensity_transform(full.config.data).fit(block).forward(block))
    low = torch.nn.functional.avg_pool3d(low[None], 2)  # the x2 low-resolution input
    want, got = full.generate(condition=low, seed=0), half.generate(condition=low, seed=0)
    assert got.dtype == torch.float32 and got.shape == want.shape
    value_range = full.value_range[1] - full.value_range[0]
    psnr = 10 * torch.log10(value_range**2 / (got - want).square().mean())
    assert 35.0 <= psnr < 100.0, psnr  # bf16 arithmetic, not a silent fp32 run


def test_only_the_generator_ships():
    keys = shipped_weight_keys(ID)
    assert keys and all(k.startswith("generator.") for k in keys)


def test_zoo_generate_with_the_shipped_weights_is_closer_and_sharper_than_tricubic(tmp_path):
    """What a user does: a low-resolution NIfTI in, a super-resolved synthetic NIfTI out."""
    import nibabel as nib
    from click.testing import CliRunner
    from scipy.ndimage import zoom

    from zoo_core.cli import cli
    from zoo_core.metrics.image import high_frequency_ratio
    from zoo_core.plugin_api import mni152_slabs

    model = zoo.load(ID)
    slab = mni152_slabs()["test"]
    truth = np.asarray(slab.dataobj, dtype=np.float32)[50:98, 70:118, 10:42]
    low = model.degrade(torch.from_numpy(truth)[None, None])[0, 0].numpy()
    nib.save(nib.Nifti1Image(low, np.diag([2.0, 2.0, 2.0, 1.0])), str(tmp_path / "low.nii.gz"))
    args = ["generate", ID, "--condition", str(tmp_path / "low.nii.gz"), "--out", str(tmp_path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    written = nib.load(str(tmp_path / "low_000.nii.gz"))
    assert b"SYNTHETIC" in written.header["descrip"].tobytes()
    assert np.allclose(written.header.get_zooms()[:3], 1.0)  # the spacing is halved
    ours = np.asarray(written.dataobj, dtype=np.float32)
    cubic = zoom(low.astype(np.float64), 2, order=3, mode="nearest", grid_mode=True)

    def psnr(volume):
        return 10 * np.log10(np.ptp(truth) ** 2 / np.mean((volume - truth) ** 2))

    assert psnr(ours) >= psnr(cubic) + 1.0
    tissue = torch.from_numpy(truth > 0.05)[None, None]

    def detail(volume):
        return high_frequency_ratio(torch.from_numpy(volume.astype(np.float32))[None, None],
                                    torch.from_numpy(truth)[None, None], tissue)  # fmt: skip

    assert detail(ours) > detail(cubic)
