"""Whole-volume inference: sliding windows vs direct inference, output shape and affine."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn
from zoo_srgan3d.inference import sliding_window, super_resolve
from zoo_srgan3d.networks import TileReplication

import zoo_core as zoo

OBLIQUE = np.array(
    [[0.9, 0.1, 0.0, -98.0], [0.0, 1.2, 0.2, -134.0], [0.1, 0.0, 1.5, -72.0], [0, 0, 0, 1]]
)


def test_one_window_equals_direct_inference(tiny_model):
    model = tiny_model().eval()
    volume = torch.rand(1, 1, 6, 6, 6) * 2 - 1  # exactly one block
    with torch.no_grad():
        direct = model.generator(volume).clamp(-1, 1)  # generate clamps a residual output
    # Equal up to the rounding of dividing by the (Gaussian) blending weight.
    torch.testing.assert_close(sliding_window(model, volume), direct, rtol=0, atol=1e-6)


def test_many_windows_stitch_exactly(tiny_model):
    # With a generator that looks at one voxel only, every window's output is exactly what
    # direct inference gives there, so the stitched volume must equal it to rounding:
    # window placement, the x2 scaling of coordinates and the blending weights are all tested.
    model = tiny_model().eval()
    model.generator = nn.Sequential(TileReplication(2), nn.Tanh())
    volume = torch.rand(1, 1, 17, 13, 9) * 2 - 1
    out = model.generate(condition=volume)
    assert out.shape == (1, 1, 34, 26, 18)
    torch.testing.assert_close(out, torch.tanh(TileReplication(2)(volume)), rtol=0, atol=1e-6)


def test_many_windows_are_close_to_direct_inference(tiny_model):
    # A real generator sees 16 voxels around each output, so windows differ from the whole
    # volume near their borders (zero padding inside each window); blending keeps that small.
    model = tiny_model("model.inference_overlap=0.5").eval()
    volume = torch.nn.functional.avg_pool3d(torch.rand(1, 1, 20, 20, 20) * 2 - 1, 3, 1, 1)
    with torch.no_grad():
        direct = model.generator(volume)
    windowed = model.generate(condition=volume)
    assert windowed.shape == direct.shape == (1, 1, 40, 40, 40)
    assert (windowed - direct).abs().mean() < 0.02


@pytest.mark.parametrize("scale", [2, 3])
def test_super_resolve_shape_and_affine(tiny_model, scale):
    model = tiny_model(f"model.scale_factor={scale}", "model.patch_size=12").eval()
    volume = np.random.default_rng(0).uniform(-1, 1, (10, 13, 11)).astype(np.float32)
    out, affine = super_resolve(model, volume, OBLIQUE)
    assert out.shape == (10 * scale, 13 * scale, 11 * scale) and out.dtype == np.float32
    # Spacing divided by the scale, axes' directions kept.
    np.testing.assert_allclose(
        np.linalg.norm(affine[:3, :3], axis=0), np.linalg.norm(OBLIQUE[:3, :3], axis=0) / scale
    )
    # High-resolution voxel j is the centre of its share of low-resolution voxel j // s.
    j = np.array([0.0, 7.0, 20.0])
    i = (j - (scale - 1) / 2) / scale
    np.testing.assert_allclose(affine @ [*j, 1], OBLIQUE @ [*i, 1])
    # The field of view is the same: the outer corners coincide.
    np.testing.assert_allclose(affine @ [-0.5, -0.5, -0.5, 1], OBLIQUE @ [-0.5, -0.5, -0.5, 1])
    far = np.array([10, 13, 11]) - 0.5
    np.testing.assert_allclose(affine @ [*(far + 0.5) * scale - 0.5, 1], OBLIQUE @ [*far, 1])
    # Channel-first input keeps its channel axis; no affine gives none back.
    out4, none = super_resolve(model, volume[None])
    assert out4.shape == (1, *out.shape) and none is None
    np.testing.assert_array_equal(out4[0], out)


def test_core_generate_routes_whole_volumes_through_windows(tiny_model):
    model = tiny_model().eval()
    volume = torch.rand(1, 1, 9, 8, 7) * 2 - 1
    out = zoo.generate(model, condition=volume, seed=0)
    assert out.shape == (1, 1, 18, 16, 14)
    assert model.block_size == 6 and model.scale_factor == 2


def test_zoo_generate_writes_the_super_resolved_nifti(tmp_path):
    import nibabel as nib
    from click.testing import CliRunner

    from zoo_core.cli import cli

    low_affine = np.array([[2.0, 0, 0, -33.5], [0, 2.0, 0, -48.5], [0, 0, 2.0, 20.5], [0, 0, 0, 1]])
    low = np.random.default_rng(1).uniform(0, 1, (30, 9, 8)).astype(np.float32)  # 2 windows
    nib.save(nib.Nifti1Image(low, low_affine), str(tmp_path / "low.nii.gz"))
    args = [
        "generate", "sanchez-srgan3d-mni152", "--condition", str(tmp_path / "low.nii.gz"),
        "--out", str(tmp_path / "out"), "--untrained",  # 3D models default to NIfTI
    ]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (written,) = (tmp_path / "out").glob("*.nii.gz")
    image = nib.load(written)
    assert image.shape == (60, 18, 16)
    # 1 mm voxels, the same field of view: voxel 0 centred half a new voxel inside the corner.
    expected = low_affine @ np.array(
        [[0.5, 0, 0, -0.25], [0, 0.5, 0, -0.25], [0, 0, 0.5, -0.25], [0, 0, 0, 1]]
    )
    np.testing.assert_allclose(image.affine, expected)
    provenance = json.loads((tmp_path / "out" / "provenance.json").read_text())
    # the config's overlap
    assert provenance["volume_inference"] == {"overlap": 0.25, "tiling": "sliding", "margin": 0}


def test_a_margin_of_the_receptive_radius_makes_windows_equal_direct_inference(tiny_model):
    model = tiny_model("model.residual_blocks=1", "model.inference_margin=6").eval()
    impulse = torch.zeros(1, 1, 21, 21, 21)
    with torch.no_grad():
        base = model.generator(impulse)
        impulse[0, 0, 10, 10, 10] = 1.0
        reach = (model.generator(impulse) - base).abs()[0, 0].sum(dim=(1, 2)).nonzero()
    diameter = (reach.max() - reach.min() + 1) / 2  # in input voxels
    assert diameter <= 2 * 6 + 1  # the generator sees 6 voxels on each side
    volume = torch.nn.functional.avg_pool3d(torch.rand(1, 1, 20, 20, 20) * 2 - 1, 3, 1, 1)
    with torch.no_grad():
        direct = model.generator(volume)
    windowed = model.generate(condition=volume)  # 6^3 windows, each with 6 voxels of context
    inner = (slice(None), slice(None), *[slice(12, -12)] * 3)  # 6 input voxels from the border
    torch.testing.assert_close(windowed[inner], direct[inner], atol=1e-4, rtol=0)
