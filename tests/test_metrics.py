"""Metrics against hand-computed values, and FID/KID with the real Inception network."""

from __future__ import annotations

import json
import math

import nibabel as nib
import pytest
import torch
import torch.nn.functional as F

from zoo_core.data.shipped import mni152_path
from zoo_core.errors import ZooError
from zoo_core.metrics import (
    evaluate,
    extract_features,
    frechet_distance,
    kernel_inception_distance,
    markdown_table,
    memorisation,
    ms_ssim,
    ms_ssim_diversity,
    per_scan,
    psnr,
    ssim,
)
from zoo_core.metrics.image import ms_ssim_levels


def _mni_slices(count: int, size: int = 64) -> torch.Tensor:
    """Real brain MRI: axial slices of nilearn's MNI152 T1, (count, 1, size, size) in [0, 1]."""
    volume = torch.from_numpy(nib.load(mni152_path("t1")).get_fdata()).float()
    volume = volume / volume.max()
    z = torch.linspace(60, 130, count).long()
    slices = volume[:, :, z].permute(2, 0, 1)[:, None]
    return F.interpolate(slices, size=(size, size), mode="area").clamp(0, 1)


# -- PSNR, SSIM, MS-SSIM ---------------------------------------------------------------------


def test_psnr_of_identical_images_is_infinite_and_known_mse_gives_known_db():
    real = torch.rand(3, 1, 16, 16) * 0.5
    assert torch.isinf(psnr(real, real, data_range=1.0)).all()
    fake = real + 0.1  # MSE 0.01 -> 10 log10(1 / 0.01) = 20 dB
    assert torch.allclose(psnr(fake, real, 1.0), torch.full((3,), 20.0), atol=1e-4)
    # the same error in a range twice as wide is 20 log10(2) dB better
    assert torch.allclose(
        psnr(fake, real, 2.0), torch.full((3,), 20 + 20 * math.log10(2)), atol=1e-4
    )


@pytest.mark.parametrize("shape", [(2, 1, 24, 24), (2, 1, 16, 16, 16)])
def test_ssim_is_one_for_identical_and_matches_hand_value_for_flat_images(shape):
    x = torch.rand(shape)
    assert torch.allclose(ssim(x, x, 1.0), torch.ones(2), atol=1e-5)
    # Flat images 0.2 vs 0.5: no variance, so SSIM is the luminance term alone,
    # (2*0.2*0.5 + c1) / (0.2^2 + 0.5^2 + c1) with c1 = (0.01 * 1)^2.
    c1 = 1e-4
    expected = (2 * 0.2 * 0.5 + c1) / (0.04 + 0.25 + c1)
    value = ssim(torch.full(shape, 0.2), torch.full(shape, 0.5), 1.0)
    assert torch.allclose(value, torch.full((2,), expected), atol=5e-4)  # float32 3D kernel


def test_ms_ssim_identical_is_one_and_scales_follow_size():
    x = torch.rand(2, 1, 64, 64)
    assert ms_ssim_levels((64, 64)) == 3
    assert ms_ssim_levels((256, 256)) == 5
    assert torch.allclose(ms_ssim(x, x, 1.0), torch.ones(2), atol=1e-5)
    assert (ms_ssim(x, torch.rand(2, 1, 64, 64), 1.0) < 0.5).all()
    with pytest.raises(ZooError, match="equal shapes"):
        psnr(x, x[:, :, :32], 1.0)


def test_per_scan_averages_slices_and_measures_the_region():
    real = torch.rand(1, 20, 20, 6) * 0.5
    fake = real.clone()
    mask = torch.zeros(1, 20, 20, 6)
    mask[:, 5:15, 5:15, :3] = 1
    fake[mask > 0] += 0.1  # error only inside the region: region MSE 0.01 -> 20 dB
    result = per_scan(fake, real, 1.0, mask=mask)
    assert result["slices"] == 6 and result["identical_slices"] == 3
    # slices 0-2 have MSE 0.01 * 100/400 -> 10 log10(1 / 0.0025) = 26.02 dB
    assert result["psnr"] == pytest.approx(10 * math.log10(1 / 0.0025), abs=1e-3)
    assert result["psnr_region"] == pytest.approx(20.0, abs=1e-3)
    assert result["ssim_region"] < result["ssim"] < 1.0
    assert per_scan(real, real, 1.0)["ssim"] == pytest.approx(1.0, abs=1e-5)


# -- Fréchet distance and KID ----------------------------------------------------------------


def test_frechet_distance_matches_monai_and_both_trace_paths_agree():
    from monai.metrics.fid import get_fid_score

    torch.manual_seed(0)
    a, b = torch.randn(200, 8), torch.randn(150, 8) * 1.3 + 0.4
    ours = frechet_distance(a, b)  # n > D: eigendecomposition path
    assert ours == pytest.approx(float(get_fid_score(b, a)), rel=1e-6)
    # Padding with zero features keeps the distance; with D > n it takes the SVD path.
    a_small, b_small = a[:12], b[:10]
    pad = lambda x: torch.cat([x, torch.zeros(len(x), 40)], 1)  # noqa: E731
    assert frechet_distance(pad(a_small), pad(b_small)) == pytest.approx(
        frechet_distance(torch.cat([a_small] * 1), b_small), rel=1e-9
    )
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)


def test_kid_is_unbiased_near_zero_for_one_distribution_and_positive_for_shifted_sets():
    torch.manual_seed(0)
    a, b = torch.randn(200, 16), torch.randn(200, 16)
    same, _ = kernel_inception_distance(a, b, subsets=10, subset_size=100)
    shifted, _ = kernel_inception_distance(a, a + 0.5, subsets=10, subset_size=100)
    assert abs(same) < 0.01 and shifted > 0.5


@pytest.fixture(scope="module")
def brain_features():
    """Inception features of 8 real MRI slices and of noisier copies (computed once).

    Few images keep the Inception passes short on a CPU; FID is still defined (and biased
    upwards), which is all the ordering below needs.
    """
    images = _mni_slices(8)
    g = torch.Generator().manual_seed(0)
    noisy = {
        sigma: (images + sigma * torch.randn(images.shape, generator=g)).clamp(0, 1)
        for sigma in (0.05, 0.2)
    }
    feats = {0.0: extract_features(images)}
    feats.update({s: extract_features(x) for s, x in noisy.items()})
    return feats


def test_fid_with_the_real_inception_is_zero_for_itself_and_grows_with_noise(brain_features):
    f = brain_features
    assert f[0.0].shape == (8, 2048)
    assert frechet_distance(f[0.0], f[0.0]) == pytest.approx(0.0, abs=1e-6)
    low, high = frechet_distance(f[0.0], f[0.05]), frechet_distance(f[0.0], f[0.2])
    assert 0 < low < high


def test_kid_with_the_real_inception_grows_with_noise(brain_features):
    f = brain_features
    # A set against itself is slightly negative: the unbiased estimator's cross term
    # includes each image paired with itself.
    same, _ = kernel_inception_distance(f[0.0], f[0.0], subsets=20)
    low, _ = kernel_inception_distance(f[0.0], f[0.05], subsets=20)
    high, _ = kernel_inception_distance(f[0.0], f[0.2], subsets=20)
    assert abs(same) < low < high


def test_feature_extractor_is_resolved_by_name_and_unknown_names_are_clear():
    from zoo_core.registry import get_registry

    assert "inception-fid" in get_registry().feature_extractors
    with pytest.raises(ZooError, match="Unknown feature extractor 'nope'"):
        extract_features(torch.rand(2, 1, 32, 32), "nope")


# -- diversity and memorisation --------------------------------------------------------------


def test_diversity_of_identical_samples_is_one_and_lower_for_different_ones():
    x = _mni_slices(6)
    same = x[:1].expand(5, -1, -1, -1)
    assert ms_ssim_diversity(same, 1.0) == pytest.approx(1.0, abs=1e-5)
    assert ms_ssim_diversity(x, 1.0) < 0.95


def test_memorisation_finds_a_planted_copy():
    real = _mni_slices(12, 32)
    g = torch.Generator().manual_seed(1)
    fake = (real[:6].flip(-1) * 0.8 + 0.1 * torch.rand(6, 1, 32, 32, generator=g)).clamp(0, 1)
    fake[4] = real[9]  # a copy of training image 9
    result = memorisation(fake, real, top_k=3)
    assert result["closest"][0] == {"fake": 4, "real": 9, "distance": 0.0}
    assert result["nn_index"][4] == 9
    assert result["nn_ratio_min"] == 0.0
    assert all(d > 0 for i, d in enumerate(result["nn_distance"]) if i != 4)


# -- evaluate ----------------------------------------------------------------------------------


def test_evaluate_paired_tensors_writes_json_and_markdown(tmp_path):
    real = torch.rand(4, 1, 32, 32) * 2 - 1
    fake = real.clone()
    fake[1:] += 0.2  # MSE 0.04 in [-1, 1] -> range 2 -> 10 log10(4 / 0.04) = 20 dB
    fake = fake.clamp(-1, 1)
    result = evaluate(real=real, fake=fake, value_range=(-1, 1), paired=True, out_dir=tmp_path)
    assert result["paired"] and set(result["metrics"]) >= {"psnr", "ssim", "ms_ssim"}
    items = result["per_item"]
    assert math.isinf(items[0]["psnr"])
    assert items[1]["psnr"] == pytest.approx(20.0, abs=0.5)  # clamping trims a few pixels
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["per_item"][0]["psnr"] == "inf"
    table = (tmp_path / "metrics.md").read_text()
    assert "| PSNR (dB) ↑ |" in table and table == markdown_table(result)


def test_evaluate_rejects_unknown_metrics_and_missing_inputs():
    x = torch.rand(2, 1, 16, 16)
    with pytest.raises(ZooError, match="unknown metric"):
        evaluate(real=x, fake=x, metrics=["fidd"])
    with pytest.raises(ZooError, match="exactly one of"):
        evaluate(real=x)


def test_a_sample_written_one_file_per_channel_group_is_read_back_whole(tmp_path):
    from zoo_core.errors import DataError
    from zoo_core.io import write_sample
    from zoo_core.metrics.sets import read_set

    names = ["T1", "grey-matter", "white-matter"]
    samples = torch.linspace(-1, 1, 2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    for i, sample in enumerate(samples):
        write_sample(sample, tmp_path / f"sample_{i:05d}", "png", value_range=(-1, 1),
                     channel_names=names)  # fmt: skip
    assert len(list(tmp_path.glob("*.png"))) == 6

    read = read_set(tmp_path, pictures_are_outputs=True, channel_names=names)
    assert read.names == ["sample_00000", "sample_00001"]
    assert read.images.shape == (2, 3, 4, 4)
    torch.testing.assert_close(read.images, (samples + 1) / 2, atol=1 / 255, rtol=0)
    # without the model's channel names each file is an image of its own
    assert read_set(tmp_path, pictures_are_outputs=True).images.shape == (6, 1, 4, 4)

    (tmp_path / "sample_00001_white-matter.png").unlink()
    with pytest.raises(DataError, match=r"sample_00001: no file for channel\(s\) white-matter"):
        read_set(tmp_path, pictures_are_outputs=True, channel_names=names)


def test_masked_psnr_scores_only_the_mask():
    from zoo_core.metrics.image import masked_psnr

    real = torch.zeros(1, 1, 8, 8, 8)
    fake = real.clone()
    fake[..., :4] = 0.2  # errors only in the left half
    left = torch.zeros_like(real, dtype=torch.bool)
    left[..., :4] = True
    assert masked_psnr(fake, real, left, 2.0) == pytest.approx(20 * math.log10(2 / 0.2))
    assert masked_psnr(fake, real, ~left, 2.0) == math.inf
    with pytest.raises(ZooError, match="selects no voxel"):
        masked_psnr(fake, real, torch.zeros_like(left), 2.0)


def test_high_frequency_ratio_tells_blur_from_detail():
    from monai.networks.layers import GaussianFilter

    from zoo_core.metrics.image import high_frequency_ratio

    torch.manual_seed(0)
    real = torch.randn(1, 1, 24, 24, 24)
    blurred = GaussianFilter(3, 1.0)(real)
    assert high_frequency_ratio(real, real) == pytest.approx(1.0)
    assert high_frequency_ratio(blurred, real) < 0.2
    assert high_frequency_ratio(real * 2, real) == pytest.approx(4.0)
