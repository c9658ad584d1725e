"""zoo_core.data on real medical images: the MNI152 T1 (nilearn), a head CT in HU
(totalsegmentator) and pydicom's CT_small, plus corrupt files that must fail clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pydicom.data
import pytest
import torch
from omegaconf import OmegaConf
from PIL import Image

from zoo_core.config import DataConfig
from zoo_core.data import (
    CTWindow,
    HistogramEqualize,
    MinMax,
    MRNormalize,
    crop,
    fit_to_size,
    from_dict,
    from_one_hot,
    gray_to_index,
    index_to_gray,
    intensity_transform,
    read_image,
    split_blocks,
    stitch_blocks,
    to_one_hot,
    training_dataset,
)
from zoo_core.data.shipped import head_ct_path, mni152_path
from zoo_core.errors import ConfigError, DataError

MNI_T1 = mni152_path("t1")
HEAD_CT = head_ct_path()
CT_SMALL = Path(pydicom.data.get_testdata_file("CT_small.dcm"))


def data_cfg(**kw) -> DataConfig:
    return OmegaConf.structured(DataConfig(**kw))


@pytest.fixture(scope="module")
def mni_dir(tmp_path_factory) -> Path:
    """The MNI152 T1 at 2 mm (every other voxel of the shipped 1 mm volume)."""
    folder = tmp_path_factory.mktemp("mni")
    img = nib.load(MNI_T1)
    affine = img.affine.copy()
    affine[:3, :3] *= 2
    data = np.asarray(img.dataobj)[::2, ::2, ::2]
    nib.save(nib.Nifti1Image(data, affine), folder / "mni_2mm.nii.gz")
    return folder


@pytest.fixture(scope="module")
def ct_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ct")
    shutil.copy(HEAD_CT, folder / "head.nii.gz")
    return folder


# -- reading -----------------------------------------------------------------------------------


def test_read_nifti_keeps_geometry():
    array, meta = read_image(HEAD_CT)
    ref = nib.load(HEAD_CT)
    assert array.shape == (1, *ref.shape) and array.dtype == np.float32
    np.testing.assert_array_equal(array[0], np.asarray(ref.dataobj, dtype=np.float32))
    np.testing.assert_allclose(meta["affine"], ref.affine)
    assert meta["spacing"] == pytest.approx((1.0, 1.0, 1.0))
    assert meta["format"] == "nifti" and meta["path"] == str(HEAD_CT)


def test_read_dicom_file_and_folder_in_hounsfield_units(tmp_path):
    ds = pydicom.dcmread(CT_SMALL)
    hu = ds.pixel_array.T * float(ds.RescaleSlope) + float(ds.RescaleIntercept)  # (col, row)
    array, meta = read_image(CT_SMALL)
    assert array.shape == (1, 128, 128)
    np.testing.assert_array_equal(array[0], hu)
    assert meta["modality"] == "CT" and meta["format"] == "dicom"
    assert meta["spacing"][:2] == pytest.approx((0.661468, 0.661468))
    # DICOM's LPS corner becomes RAS: x and y change sign.
    ipp = [float(v) for v in ds.ImagePositionPatient]
    np.testing.assert_allclose(meta["affine"][:3, 3], [-ipp[0], -ipp[1], ipp[2]])

    series = tmp_path / "series"
    series.mkdir()
    shutil.copy(CT_SMALL, series / "1.dcm")
    folder_array, _ = read_image(series)
    np.testing.assert_array_equal(folder_array.reshape(-1), array.reshape(-1))


def test_read_png_channels_first_rows_first(tmp_path):
    rgb = np.zeros((12, 20, 3), np.uint8)
    rgb[3, 7] = (10, 20, 30)
    Image.fromarray(rgb).save(tmp_path / "c.png")
    array, meta = read_image(tmp_path / "c.png")
    assert array.shape == (3, 12, 20)
    assert array[:, 3, 7].tolist() == [10, 20, 30]
    assert meta["format"] == "png" and meta["spacing"] == (1.0, 1.0)
    Image.fromarray(rgb[..., 0]).save(tmp_path / "g.png")
    assert read_image(tmp_path / "g.png")[0].shape == (1, 12, 20)


def test_read_jpeg_and_name_a_truncated_one(tmp_path):
    flat = np.full((16, 24, 3), (200, 100, 50), np.uint8)
    Image.fromarray(flat).save(tmp_path / "fundus.jpg", quality=95)
    array, meta = read_image(tmp_path / "fundus.jpg")
    assert array.shape == (3, 16, 24) and meta["format"] == "jpeg"
    assert np.abs(array.reshape(3, -1).mean(1) - [200, 100, 50]).max() < 3  # lossy, close
    data = (tmp_path / "fundus.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.jpg: is truncated or corrupt"):
        read_image(tmp_path / "cut.jpg")


def test_corrupt_inputs_name_the_file(tmp_path):
    data = HEAD_CT.read_bytes()
    truncated = tmp_path / "truncated.nii.gz"
    truncated.write_bytes(data[: len(data) // 3])
    with pytest.raises(DataError, match=r"truncated\.nii\.gz: is truncated or corrupt"):
        read_image(truncated)

    text = tmp_path / "notes.dcm"
    text.write_text("this is not an image\n")
    with pytest.raises(DataError, match=r"notes\.dcm: is not a DICOM file"):
        read_image(text)

    empty = tmp_path / "empty_series"
    empty.mkdir()
    with pytest.raises(DataError, match=r"empty_series: empty folder"):
        read_image(empty)

    with pytest.raises(DataError, match=r"missing\.nii\.gz: no such file"):
        read_image(tmp_path / "missing.nii.gz")

    nib.save(nib.Nifti1Image(np.zeros(7, np.float32), np.eye(4)), tmp_path / "line.nii.gz")
    with pytest.raises(DataError, match=r"line\.nii\.gz: has 1 spatial dimension"):
        read_image(tmp_path / "line.nii.gz")

    fake_png = tmp_path / "fake.png"
    fake_png.write_text("no pixels here")
    with pytest.raises(DataError, match=r"fake\.png: is not a readable PNG"):
        read_image(fake_png)

    with pytest.raises(DataError, match=r"table\.csv: unknown image format"):
        (tmp_path / "table.csv").write_text("a,b\n")
        read_image(tmp_path / "table.csv")


def test_dataset_on_empty_or_unreadable_folder_names_it(tmp_path):
    empty = tmp_path / "nothing_here"
    empty.mkdir()
    with pytest.raises(DataError, match=r"nothing_here: no images in this folder"):
        training_dataset(data_cfg(), empty)
    with pytest.raises(DataError, match=r"no such folder"):
        training_dataset(data_cfg(), tmp_path / "absent")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.dcm").write_text("hello")
    dataset = training_dataset(data_cfg(mode="images", intensity="ct"), bad)
    with pytest.raises(DataError, match=r"broken\.dcm: is not a DICOM file"):
        dataset[0]


# -- intensity ---------------------------------------------------------------------------------


def test_ct_window_hand_values_and_round_trip():
    window = CTWindow(-1000, 1000)
    hu = np.array([-2000.0, -1000.0, 0.0, 500.0, 1000.0, 3000.0])
    np.testing.assert_allclose(window.forward(hu), [-1, -1, 0, 0.5, 1, 1])
    inside = np.linspace(-1000, 1000, 41)
    np.testing.assert_allclose(window.inverse(window.forward(inside)), inside, atol=1e-9)
    again = from_dict(window.to_dict())
    assert window.to_dict() == {"kind": "ct", "low": -1000.0, "high": 1000.0}
    np.testing.assert_allclose(again.forward(hu), window.forward(hu))
    t = torch.tensor([0.0, 500.0])  # tensors in, tensors out
    assert isinstance(window.forward(t), torch.Tensor)
    with pytest.raises(ConfigError, match="low < high"):
        CTWindow(100, -100)


def test_histogram_equalisation_of_head_ct_round_trips_to_hu():
    hu, _ = read_image(HEAD_CT)
    hu = np.ascontiguousarray(hu[:, ::2, ::2, ::2])  # every other voxel keeps the test quick
    cfg = data_cfg(intensity="ct", hu_window=[-100.0, 400.0], histogram_equalize=True)
    template = intensity_transform(cfg)
    assert isinstance(template, HistogramEqualize)
    fitted = template.fit(hu)
    y = fitted.forward(hu)
    assert y.min() >= -1 and y.max() <= 1
    back = fitted.inverse(y)
    # exact in float64; the float32 image rounds the equalised levels by ~1e-7
    np.testing.assert_allclose(back, np.clip(hu, -100, 400), atol=0.01)
    hu64 = hu.astype(np.float64)
    np.testing.assert_allclose(
        fitted.inverse(fitted.forward(hu64)), np.clip(hu64, -100, 400), atol=1e-6
    )
    # The recorded parameters alone (as in provenance) rebuild the same mapping.
    rebuilt = from_dict(fitted.to_dict())
    np.testing.assert_allclose(rebuilt.inverse(y), back, atol=1e-9)
    # Equalised: the tissue above the huge 0-HU background spreads evenly over its levels.
    tissue = y[hu > 10]
    q = np.quantile(tissue, [0.25, 0.5, 0.75])
    lo, hi = tissue.min(), tissue.max()
    np.testing.assert_allclose(q, lo + (hi - lo) * np.array([0.25, 0.5, 0.75]), atol=0.05)


def test_mr_and_minmax_normalisation_invert():
    t1, _ = read_image(MNI_T1)
    t1 = t1[:, ::3, ::3, ::3]
    mr = MRNormalize(percentiles=(1.0, 99.0)).fit(t1)
    low, high = np.percentile(t1, [1.0, 99.0])
    assert (mr.low, mr.high) == pytest.approx((low, high))
    y = mr.forward(t1)
    assert y.min() == -1 and y.max() == 1
    np.testing.assert_allclose(mr.inverse(y), np.clip(t1, low, high), rtol=1e-5, atol=1e-4)
    mm = MinMax().fit(t1)
    np.testing.assert_allclose(mm.inverse(mm.forward(t1)), t1, atol=1e-4)
    assert from_dict(mr.to_dict()).to_dict() == mr.to_dict()


# -- labels ------------------------------------------------------------------------------------


def test_one_hot_round_trip_and_bad_values():
    labels = torch.tensor([[[0, 1, 2], [2, 1, 0]]])
    onehot = to_one_hot(labels, 3)
    assert onehot.shape == (3, 2, 3)
    assert onehot[:, 0, 1].tolist() == [0.0, 1.0, 0.0]
    assert torch.equal(from_one_hot(onehot), labels)
    with pytest.raises(DataError, match="label values 5 belong to no class"):
        to_one_hot(torch.tensor([[0, 5]])[None], 3)


def test_gray_value_labels_to_classes():
    values = [0, 50, 100, 150, 200, 230]
    gray = np.array([[230, 0], [100, 50]])
    index = gray_to_index(gray, values)
    assert index.tolist() == [[5, 0], [2, 1]]
    assert index_to_gray(index, values).tolist() == gray.tolist()
    with pytest.raises(DataError, match="label values 99 belong to no class"):
        gray_to_index(np.array([0, 99]), values)


# -- blocks and resizing -----------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 64, 64, 32), (2, 70, 45, 33), (1, 50, 37)])
def test_split_stitch_exact(shape):
    volume = torch.randn(shape)
    block = 32 if len(shape) == 4 else 16
    blocks, grid = split_blocks(volume, block)
    expected = np.prod([-(-s // block) for s in shape[1:]])
    assert blocks.shape == (expected, shape[0], *[block] * (len(shape) - 1))
    assert torch.equal(stitch_blocks(blocks, grid), volume)
    for n, origin in enumerate(grid.origins()):  # each block is the crop at its corner
        assert torch.equal(blocks[n], crop(volume, origin, grid.block))
    overhang = shape[1] % block  # the last block along the first axis is padded with -1
    if overhang:
        assert torch.all(blocks[-1][:, overhang:] == -1.0)


def test_fit_to_size_resize_and_crop():
    x = torch.arange(36.0).reshape(1, 6, 6)
    assert fit_to_size(x, [3, 3]).shape == (1, 3, 3)
    cropped = fit_to_size(x, [4, 8], "crop")
    assert cropped.shape == (1, 4, 8)
    assert torch.equal(cropped[0, :, 1:7], x[0, 1:5])  # centre kept, sides padded
    assert float(cropped[0, 0, 0]) == -1.0
    labels = torch.tensor([[[0, 1], [2, 3]]])
    assert set(fit_to_size(labels, [5, 5], label=True).unique().tolist()) == {0, 1, 2, 3}


# -- datasets on real volumes ------------------------------------------------------------------


def test_slices_dataset_on_mni(mni_dir):
    cfg = data_cfg(mode="slices", spatial_size=[64, 64], intensity="mr")
    dataset = training_dataset(cfg, mni_dir)
    depth = 95  # 189 slices at 1 mm -> 95 at 2 mm
    assert 40 < len(dataset) < depth  # empty slices at the top and bottom are skipped
    first = dataset[0]
    assert set(first) == {"target"}
    assert first["target"].shape == (1, 64, 64) and first["target"].dtype == torch.float32
    middle = dataset[len(dataset) // 2]["target"]
    assert middle.min() >= -1 and middle.max() <= 1 and middle.std() > 0.2
    assert dataset.cache.reads == 1  # one volume read for every slice
    everything = training_dataset(data_cfg(mode="slices", skip_empty=False), mni_dir)
    assert len(everything) == depth


def test_blocks_dataset_on_head_ct(ct_dir):
    cfg = data_cfg(
        mode="blocks", spatial_size=[32, 32, 32], intensity="ct", hu_window=[-100.0, 400.0]
    )
    dataset = training_dataset(cfg, ct_dir)
    grid_total = 7 * 7 * 6  # ceil(202/32)^2 * ceil(179/32)
    assert 0 < len(dataset) < grid_total  # blocks of pure background are skipped
    item = dataset[len(dataset) // 2]["target"]
    assert item.shape == (1, 32, 32, 32)
    path, origin = dataset.target.entries[len(dataset) // 2]
    hu, _ = read_image(path)
    expected = CTWindow(-100, 400).forward(torch.from_numpy(hu))
    background = CTWindow(-100, 400).forward(0.0)  # the atlas is 0 HU around the head
    assert dataset.cache.get(path).background == pytest.approx(background)
    assert torch.allclose(item, crop(expected, origin, [32, 32, 32], pad_value=background))
    assert dataset.describe(0)["intensity"] == {"kind": "ct", "low": -100.0, "high": 400.0}

    random_cfg = data_cfg(
        mode="blocks",
        spatial_size=[32, 32, 32],
        intensity="ct",
        patch_sampling="random",
        patches_per_volume=5,
    )
    patches = training_dataset(random_cfg, ct_dir)
    assert len(patches) == 5
    torch.manual_seed(0)
    a = patches[0]["target"]
    torch.manual_seed(0)
    assert torch.equal(a, patches[0]["target"])  # patch corners come from torch's RNG


def test_volumes_dataset_from_dicom_series(tmp_path):
    series = tmp_path / "data" / "patient1"
    series.mkdir(parents=True)
    shutil.copy(CT_SMALL, series / "1.dcm")
    cfg = data_cfg(mode="images", intensity="ct", spatial_size=[64, 64])
    item = training_dataset(cfg, tmp_path / "data")[0]
    assert item["target"].shape == (1, 64, 64)
    assert -1 <= float(item["target"].min()) < float(item["target"].max()) <= 1


def _png(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array.astype(np.uint8)).save(path)


def test_paired_dataset_with_gray_labels_and_augmentation(tmp_path):
    rng = np.random.default_rng(0)
    values = [0, 50, 100, 150, 200, 230]
    for name in ("a", "b"):
        image = rng.integers(0, 255, (16, 16))
        _png(tmp_path / "target" / f"{name}.png", image)
        _png(tmp_path / "condition" / f"{name}.png", image)  # identical: flips must agree
        _png(tmp_path / "labels" / f"{name}.png", rng.choice(values, (16, 16)))
    cfg = data_cfg(
        paired=True, labels="labels", label_values=values, augment=True, spatial_size=[16, 16]
    )
    dataset = training_dataset(cfg, tmp_path)
    assert len(dataset) == 2
    for seed in range(4):
        torch.manual_seed(seed)
        item = dataset[1]
        assert torch.equal(item["target"], item["condition"])
        assert item["label"].dtype == torch.int64 and item["label"].shape == (1, 16, 16)
        assert int(item["label"].max()) <= 5
    one_hot = training_dataset(
        data_cfg(paired=True, labels="labels", label_values=values, one_hot=True), tmp_path
    )[0]["label"]
    assert one_hot.shape == (6, 16, 16) and torch.all(one_hot.sum(0) == 1)

    (tmp_path / "condition" / "b.png").unlink()
    with pytest.raises(DataError, match=r"condition: no condition for b\.png"):
        training_dataset(data_cfg(paired=True), tmp_path)


def test_jitter_resizes_up_and_crops_back_the_same_way_for_every_key(tmp_path):
    # CycleGAN's jitter (286 -> 256) at small scale, with horizontal flips only
    ramp = np.tile(np.arange(16) * 10, (16, 1))  # varies along W only
    _png(tmp_path / "target" / "a.png", ramp)
    _png(tmp_path / "condition" / "a.png", ramp)
    _png(tmp_path / "labels" / "a.png", (ramp >= 80) * 50)
    cfg = data_cfg(paired=True, labels="labels", label_values=[0, 50], augment=True,
                   augment_flip_axes=[1], jitter_size=24, spatial_size=[16, 16],
                   intensity="none")  # fmt: skip
    dataset = training_dataset(cfg, tmp_path)
    crops = set()
    for seed in range(12):
        torch.manual_seed(seed)
        item = dataset[0]
        assert item["target"].shape == item["label"].shape == (1, 16, 16)
        assert torch.equal(item["target"], item["condition"])  # one draw for every key
        assert set(item["label"].unique().tolist()) <= {0, 1}  # nearest: no new class
        rows = item["target"][0]
        assert torch.allclose(rows, rows[:1].expand_as(rows))  # no quarter turns
        crops.add(tuple(rows[0, [0, -1]].tolist()))
    assert len(crops) > 2  # different crops (and flips) from one image
    with pytest.raises(ConfigError, match=r"jitter_size=8 needs data\.spatial_size no larger"):
        training_dataset(data_cfg(jitter_size=8, spatial_size=[16, 16]), tmp_path / "target")


def test_unpaired_dataset_draws_source_from_domain_a(tmp_path):
    for i in range(3):
        _png(tmp_path / "domain_a" / f"a{i}.png", np.full((8, 8), 10 * i))
    _png(tmp_path / "domain_b" / "b0.png", np.arange(64).reshape(8, 8))
    dataset = training_dataset(data_cfg(unpaired=True, intensity="none"), tmp_path)
    assert len(dataset) == 3
    item = dataset[2]
    assert torch.equal(item["target"][0], torch.arange(64.0).reshape(8, 8))
    assert float(item["source"][0, 0, 0]) in (0.0, 10.0, 20.0)
    with pytest.raises(DataError, match="has no domain_b/ sub-folder; unpaired data needs"):
        training_dataset(data_cfg(unpaired=True), tmp_path / "domain_b")


def test_mixed_sizes_without_spatial_size_are_refused(tmp_path):
    _png(tmp_path / "a.png", np.zeros((8, 8)))
    _png(tmp_path / "b.png", np.zeros((8, 9)))
    dataset = training_dataset(data_cfg(), tmp_path)
    dataset[0]
    with pytest.raises(DataError, match=r"b\.png: gives a sample of shape .*data\.spatial_size"):
        dataset[1]


def test_minmax_fit_is_per_image_and_leaves_template():
    template = MinMax()
    fitted = template.fit(np.array([2.0, 4.0]))
    assert template.low is None and (fitted.low, fitted.high) == (2.0, 4.0)


def test_disk_cache_memory_maps_prepared_volumes(ct_dir, tmp_path):
    cfg = data_cfg(
        mode="blocks", spatial_size=[32, 32, 32], intensity="ct", cache_dir=str(tmp_path / "cache")
    )
    first = training_dataset(cfg, ct_dir)
    assert first.cache.reads == 1 and len(list((tmp_path / "cache").glob("*.npy"))) == 1
    second = training_dataset(cfg, ct_dir)  # e.g. a new worker or the next run
    assert torch.equal(second[7]["target"], first[7]["target"])
    assert second.cache.reads == 0  # served from the memory map, nothing decoded
    assert second.describe(0)["intensity"] == first.describe(0)["intensity"]
    other = training_dataset(
        data_cfg(
            mode="blocks",
            spatial_size=[32, 32, 32],
            intensity="ct",
            hu_window=[-100.0, 400.0],
            cache_dir=str(tmp_path / "cache"),
        ),
        ct_dir,
    )
    assert other.cache.reads == 1  # other settings, other cache entry


def test_label_suffix_beside_images_and_channel_adaptation(tmp_path):
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[..., 1] = 200
    Image.fromarray(rgb).save(tmp_path / "eye.png")
    _png(tmp_path / "eye_seg.png", np.eye(8))
    cfg = data_cfg(labels="_seg", intensity="none", channels=1)
    dataset = training_dataset(cfg, tmp_path)
    assert len(dataset) == 1  # the label file is not an image of its own
    item = dataset[0]
    assert item["target"].shape == (1, 8, 8)
    assert float(item["target"][0, 0, 0]) == pytest.approx(0.587 * 200, abs=1e-3)  # luma
    assert torch.equal(item["label"][0], torch.eye(8, dtype=torch.int64))
    with pytest.raises(DataError, match=r"eye\.png: has 3 channels but data\.channels is 2"):
        training_dataset(data_cfg(channels=2, labels="_seg"), tmp_path)[0]
