"""The shipped weights' MR/CT split and the translation evaluation (`zoo evaluate --real`)."""

import nibabel as nib
import numpy as np
import pytest
import torch
from torch import nn

from zoo_core.testing import tiny_model

ZHU = "zhu-cyclegan-mrct"


class PerPixel(nn.Module):
    """A generator that applies ``fn`` to each pixel (padding included)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def test_split_cuts_both_brains_at_the_same_share_and_scales_them_alike(tmp_path):
    from zoo_cyclegan.mrct import AIR_HU, BRAIN_PIXELS, SIDE, write_mr_ct_split

    from zoo_core.plugin_api import mni152_split_index

    files = write_mr_ct_split(tmp_path)
    assert sorted(files) == ["test/domain_a", "test/domain_b", "train/domain_a", "train/domain_b"]
    images = {k: nib.load(p) for k, p in files.items()}
    data = {k: np.asarray(i.dataobj, dtype=np.float32) for k, i in images.items()}
    shares = {}
    for domain, background in (("domain_a", 0.0), ("domain_b", AIR_HU)):
        train, test = data[f"train/{domain}"], data[f"test/{domain}"]
        assert train.shape[:2] == test.shape[:2] == (SIDE, SIDE)
        # the held-out slab continues exactly where the training slab stops
        z_train = images[f"train/{domain}"].affine[2, 3]
        assert images[f"test/{domain}"].affine[2, 3] == pytest.approx(z_train + train.shape[2])
        brain = np.concatenate([train, test], axis=2) != background
        extent = max(np.ptp(np.nonzero(brain.any(axis=(1, 2)))[0]),
                     np.ptp(np.nonzero(brain.any(axis=(0, 2)))[0])) + 1  # fmt: skip
        assert abs(extent - BRAIN_PIXELS) <= 2
        shares[domain] = train.shape[2] / (train.shape[2] + test.shape[2])
    # the MR is cut at world z = 0 mm and the CT at the same share of its brain's height
    mr_test = images["test/domain_a"]
    assert mni152_split_index(mr_test.affine) == 0
    assert shares["domain_a"] == pytest.approx(shares["domain_b"], abs=0.01)
    ct = np.concatenate([data["train/domain_b"], data["test/domain_b"]], axis=2)
    assert ct.min() == AIR_HU and 0 < ct[ct > AIR_HU].mean() < 60  # brain HU, air outside
    assert data["train/domain_a"].min() >= 0.0 and data["train/domain_a"].max() <= 1.0


def write_discs(folder, mr_radius=10, depth=4):
    """A held-out split of discs: MR 0.6 on 0 (1 in [-1, 1] after the min-max percentiles), CT
    30 HU on air; the training parts alike."""
    yy, xx = np.mgrid[:32, :32]
    disc = ((yy - 16) ** 2 + (xx - 16) ** 2) < mr_radius**2
    mr = np.repeat(np.where(disc, 0.6, 0.0)[..., None], depth, axis=2).astype(np.float32)
    ct = np.repeat(np.where(disc, 30.0, -1000.0)[..., None], depth, axis=2).astype(np.float32)
    for part in ("train", "test"):
        for domain, name, array in (("domain_a", "mr", mr), ("domain_b", "ct", ct)):
            (folder / part / domain).mkdir(parents=True, exist_ok=True)
            nib.save(nib.Nifti1Image(array, np.eye(4)), folder / part / domain / f"{name}.nii.gz")
    return folder


def disc_model(ab, ba):
    model = tiny_model(ZHU, "data.spatial_size=[32,32]", "data.hu_window=[-50,100]",
                       "data.mr_percentiles=[0,100]")  # fmt: skip
    model.generator.ab, model.generator.ba = PerPixel(ab), PerPixel(ba)
    return model


def test_an_identity_model_keeps_anatomy_but_makes_no_ct(tmp_path):
    from zoo_cyclegan.evaluation import translation_report

    report = translation_report(disc_model(lambda x: x, lambda x: x), write_discs(tmp_path))
    m = report["metrics"]
    assert m["brain_dice"] == 1.0 and m["hu_w1_ratio"] == pytest.approx(1.0)
    assert m["cycle_psnr_mr"] == m["cycle_psnr_ct"] == float("inf")
    assert "| brain-mask Dice, input MR vs output CT | 1.000 | >= 0.9 |" in report["markdown"]


def test_a_model_that_maps_mr_to_the_ct_value_closes_the_hu_gap(tmp_path):
    from zoo_cyclegan.evaluation import translation_report

    # CT's 30 HU in [-50, 100] is 1/15 in [-1, 1]; the MR disc is 1 (100 HU read as CT)
    ct_value, mr_value = 2 * 80 / 150 - 1, 1.0
    to_ct = lambda x: torch.where(x > -0.9, torch.full_like(x, ct_value), -1.0)  # noqa: E731
    to_mr = lambda x: torch.where(x > -0.9, torch.full_like(x, mr_value), -1.0)  # noqa: E731
    m = translation_report(disc_model(to_ct, to_mr), write_discs(tmp_path))["metrics"]
    assert m["hu_w1_output"] == pytest.approx(0.0, abs=1e-3)
    assert m["hu_w1_input"] == pytest.approx(100 - 30, rel=1e-3)
    assert m["brain_dice"] == 1.0 and m["cycle_psnr_mr"] > 60


def test_a_model_that_shrinks_the_brain_loses_dice(tmp_path):
    from zoo_cyclegan.evaluation import translation_report

    keep = torch.zeros(1, 1, 32, 32, dtype=torch.bool)
    keep[..., :, :16] = True  # the left part of every slice survives
    shrink = lambda x: torch.where(keep, x, -1.0)  # noqa: E731
    m = translation_report(disc_model(shrink, lambda x: x), write_discs(tmp_path))["metrics"]
    disc = np.asarray(nib.load(tmp_path / "test/domain_a/mr.nii.gz").dataobj)[..., 0] > 0
    kept = disc[:, :16].sum()
    assert m["brain_dice"] == pytest.approx(2 * kept / (disc.sum() + kept))


def test_montage_shows_input_output_cycle_and_real_ct_per_row(tmp_path):
    from PIL import Image
    from zoo_cyclegan.evaluation import translation_montage

    invert = lambda x: -x  # noqa: E731
    model = disc_model(invert, invert)
    path = translation_montage(model, write_discs(tmp_path / "data"), tmp_path / "m.png", rows=2)
    with Image.open(path) as picture:
        pixels = np.asarray(picture.convert("L"), dtype=float)
        assert picture.size == (4 * 34 + 2, 2 * 34 + 2)  # 4 tiles of 32 + padding, 2 rows
    centre = [pixels[2 + 16, 2 + 34 * col + 16] for col in range(4)]
    # the disc: bright MR, inverted (dark) synthetic CT, bright again cycled, 30 HU real CT
    assert centre[0] > 200 and centre[1] < 50 and centre[2] > 200 and 100 < centre[3] < 200
