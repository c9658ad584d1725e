"""Training data from real shipped images: MNI152 slices and the fundus photograph."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from zoo_pggan.data import fit_square, training_dataset
from zoo_pggan.prepare import prepare_fundus

import zoo_core as zoo
from zoo_core.errors import DataError


def test_mni152_slices_with_tissue_channels(mni_dir):
    cfg = zoo.model_config("beers-pggan-mni152")
    ds = training_dataset(cfg.data, mni_dir)
    assert ds.channels == ["t1", "gm", "wm"]
    assert len(ds) > 40  # axial slices with >= 10 % brain from a 2 mm template
    item = ds[len(ds) // 2]
    assert item["target"].shape == (3, 128, 128) and item["name"].startswith("mni152_z")
    x = item["target"]
    assert x.min() >= -1 and x.max() <= 1
    # Tissue maps lie on the brain of the T1 channel (whose darkest 0.5 % of brain voxels
    # map to -1 like the background); grey + white matter never exceed probability 1.
    tissue = (x[1] > -1) | (x[2] > -1)
    assert tissue.float().mean() > 0.2 and (x[0][tissue] > -1).float().mean() > 0.98
    assert ((x[1] + 1) / 2 + (x[2] + 1) / 2 <= 1.01).all()
    off = zoo.model_config("beers-pggan-mni152", ["model.use_segmentation=false"])
    assert training_dataset(off.data, mni_dir)[0]["target"].shape == (1, 128, 128)


def test_fundus_with_pseudo_vessel_map(tmp_path):
    prepare_fundus(tmp_path, size=64, copies=4)
    vessels = np.asarray(Image.open(tmp_path / "vessels" / "retina_00.png")) > 0
    assert 0.03 < vessels.mean() < 0.25  # a vessel tree, not noise or nothing
    mirrored = np.asarray(Image.open(tmp_path / "images" / "retina_01.png"))
    assert mirrored.shape == (64, 64, 3)
    cfg = zoo.model_config("beers-pggan-rop", ["model.max_resolution=32"])
    ds = training_dataset(cfg.data, tmp_path)
    assert len(ds) == 4 and ds[0]["target"].shape == (4, 32, 32)
    vessel_channel = ds[0]["target"][3]
    assert vessel_channel.min() == -1 and vessel_channel.max() == 1
    assert 0.01 < (vessel_channel > 0).float().mean() < 0.3
    labels = (tmp_path / "labels.csv").read_text().splitlines()
    assert labels[:3] == ["name,label", "retina_00,original", "retina_01,mirrored"]


def test_missing_vessel_map_is_a_clear_error(tmp_path):
    (tmp_path / "images").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "images" / "a.png")
    cfg = zoo.model_config("beers-pggan-rop", ["model.max_resolution=8"])
    with pytest.raises(DataError, match=r"a\.png has no segmentation map"):
        training_dataset(cfg.data, tmp_path)


def test_fit_square_pads_small_slices_with_background():
    out = fit_square(np.ones((1, 240, 240), np.float32), 256)
    assert out.shape == (1, 256, 256)
    assert out[0, 8:248, 8:248].min() == 1 and out[0, :8].max() == -1
    # A much smaller picture is resized instead (a 256 px photograph into a 512 px config).
    assert fit_square(np.ones((3, 16, 16), np.float32), 32).min() == 1


def _brats_like(root, subjects=2, shape=(30, 28, 6)):
    """Tiny volumes in the BraTS layout: 4 modalities and a label volume with 1, 2, 4."""
    import nibabel as nib

    rng = np.random.default_rng(0)
    for s in range(subjects):
        folder = root / f"BraTS_{s}"
        folder.mkdir(parents=True)
        brain = np.zeros(shape, np.float32)
        brain[2:18, 2:22] = 1.0
        for key in ("t1", "t1ce", "t2", "flair"):
            volume = brain * rng.uniform(100, 1000, shape).astype(np.float32)
            nib.save(nib.Nifti1Image(volume, np.eye(4)), str(folder / f"BraTS_{s}_{key}.nii.gz"))
        seg = np.zeros(shape, np.float32)
        seg[5:8, 5:8], seg[8:10, 5:8], seg[10:12, 5:8] = 2, 1, 4  # edema, necrosis, enhancing
        nib.save(nib.Nifti1Image(seg, np.eye(4)), str(folder / f"BraTS_{s}_seg.nii.gz"))


def test_brats_layout_label_channels_and_memory_mapped_cache(tmp_path):
    _brats_like(tmp_path / "data")
    overrides = ["model.max_resolution=32", "data.max_memory_mb=0",
                 f"data.cache_dir={tmp_path / 'cache'}"]  # fmt: skip
    cfg = zoo.model_config("beers-pggan-brats", overrides)
    ds = training_dataset(cfg.data, tmp_path / "data")
    assert len(ds) == 12 and ds.channels[4:] == ["seg=2", "seg=1", "seg=4"]
    assert isinstance(ds.array, np.memmap) and len(list((tmp_path / "cache").iterdir())) == 2
    x = ds[0]["target"].numpy()
    assert x.shape == (7, 32, 32) and x[:4].max() == 1.0
    # 30x28 slices nearly fit 32x32: padded, native pixels kept, so label areas are exact.
    edema, necrosis, enhancing = (x[4:] > 0).sum(axis=(1, 2))
    assert (edema, necrosis, enhancing) == (9, 6, 6)
    assert not ((x[4:] > 0).sum(axis=0) > 1).any()  # one label per pixel
    again = training_dataset(cfg.data, tmp_path / "data")  # served from the cache
    assert again.names == ds.names and np.array_equal(np.asarray(again.array), np.asarray(ds.array))
