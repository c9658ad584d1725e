"""`zoo srgan3d evaluate` and `zoo srgan3d mni152` on real MNI152 data."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from zoo_srgan3d.evaluate import markdown_table, tricubic, trilinear

from zoo_core.cli import cli


@pytest.mark.parametrize("scale", [2, 3])
def test_interpolations_reproduce_smooth_signals(scale):
    # A linear ramp is reproduced by both interpolations away from the borders, at the voxel
    # centres of the shared convention: this is what makes the comparison fair. (The cubic
    # B-spline's prefilter spreads the border's bend inwards, decaying by ~0.27 per voxel.)
    n = 16
    low = (torch.arange(n, dtype=torch.float32) * scale + (scale - 1) / 2).reshape(1, 1, n, 1, 1)
    low = low.expand(1, 1, n, 4, 4).contiguous()
    expected = torch.arange(n * scale, dtype=torch.float32)
    inner = slice(5 * scale, (n - 5) * scale)
    for method in (trilinear, tricubic):
        out = method(low, scale)
        assert out.shape == (1, 1, n * scale, 4 * scale, 4 * scale)
        torch.testing.assert_close(out[0, 0, inner, 0, 0], expected[inner], atol=2e-3, rtol=0)


def test_evaluate_command_prints_one_table(mni_block, tmp_path):
    out = tmp_path / "metrics.json"
    result = CliRunner().invoke(
        cli,
        [
            "srgan3d", "evaluate", "sanchez-srgan3d-mni152", "--data", str(mni_block),
            "--untrained", "--json", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "| method | PSNR (dB) | PSNR tissue (dB) | SSIM | HF energy ratio |" in lines
    assert [line.split("|")[1].strip() for line in lines if line.startswith("| ")][1:] == [
        "srgan3d",
        "trilinear",
        "tricubic",
    ]
    record = json.loads(out.read_text())
    assert record["volumes"] == 1 and record["scale_factor"] == 2
    mean = record["mean"]
    assert markdown_table(record) in result.output
    # On a real brain, cubic B-splines beat linear interpolation, and both are far from noise.
    assert mean["tricubic"]["psnr"] > mean["trilinear"]["psnr"] > 15
    assert 0 < mean["trilinear"]["ssim"] < mean["tricubic"]["ssim"] <= 1
    assert mean["tricubic"]["psnr_tissue"] > mean["trilinear"]["psnr_tissue"]
    # interpolation loses detail: well below the original's energy, cubic less than linear
    assert mean["trilinear"]["hf_ratio"] < mean["tricubic"]["hf_ratio"] < 1


def test_evaluate_without_weights_says_how_to_get_them(mni_block):
    result = CliRunner().invoke(
        cli, ["srgan3d", "evaluate", "sanchez-srgan3d", "--data", str(mni_block)]
    )
    assert result.exit_code == 1
    assert "No weights are published for sanchez-srgan3d" in result.output


def test_mni152_command_writes_disjoint_slabs(tmp_path):
    import nibabel as nib

    result = CliRunner().invoke(cli, ["srgan3d", "mni152", str(tmp_path)])
    assert result.exit_code == 0, result.output
    train = nib.load(tmp_path / "train" / "mni152_t1_inferior.nii.gz")
    test = nib.load(tmp_path / "test" / "mni152_t1_superior.nii.gz")
    assert train.shape[:2] == test.shape[:2]
    top_of_train = (train.affine @ [0, 0, train.shape[2] - 1, 1])[2]
    bottom_of_test = (test.affine @ [0, 0, 0, 1])[2]
    assert top_of_train < 0 <= bottom_of_test  # split at world z = 0 mm
    assert np.asarray(train.dataobj).max() > 0.5 and np.asarray(test.dataobj).max() > 0.5
    # Spacing stays the template's 1 mm.
    np.testing.assert_allclose(nib.affines.voxel_sizes(train.affine), [1.0, 1.0, 1.0])


def test_zoo_evaluate_with_real_volumes_alone_compares_with_interpolation(mni_block, tmp_path):
    result = CliRunner().invoke(
        cli,
        ["evaluate", "sanchez-srgan3d-mni152", "--untrained", "--real", str(mni_block),
         "--out", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["volumes"] == 1 and set(record["mean"]) == {"srgan3d", "trilinear", "tricubic"}
    table = (tmp_path / "metrics.md").read_text()
    assert markdown_table(record) in table and markdown_table(record) in result.output

    ignored = CliRunner().invoke(
        cli,
        ["evaluate", "sanchez-srgan3d-mni152", "--untrained", "--real", str(mni_block),
         "--metrics", "fid"],
    )  # fmt: skip
    assert ignored.exit_code == 1
    assert "--metrics apply to --fake/--generate" in ignored.output
