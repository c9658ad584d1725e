"""zoo_core.io: files re-read with nibabel, pydicom and PIL keep their geometry, their values
(HU within one unit) and the synthetic marker; provenance and montages."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import nibabel as nib
import numpy as np
import pydicom
import pydicom.data
import pytest
import torch
from PIL import Image

from zoo_core.data import CTWindow, read_image
from zoo_core.errors import DataError
from zoo_core.io import (
    is_synthetic,
    provenance_record,
    save_montage,
    write_provenance,
    write_sample,
)
from zoo_core.io.dicom import PRIVATE_CREATOR, PRIVATE_GROUP

CT_SMALL = Path(pydicom.data.get_testdata_file("CT_small.dcm"))
PROVENANCE = {"model_id": "test-model", "seed": 7, "modality": "CT"}


def oblique_affine() -> np.ndarray:
    """Rotated 20 degrees about z, anisotropic voxels, shifted: catches any axis mix-up."""
    angle = np.deg2rad(20)
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
    )
    affine = np.eye(4)
    affine[:3, :3] = rotation @ np.diag([0.8, 0.9, 2.5])
    affine[:3, 3] = [10.0, -20.0, 30.0]
    return affine


@pytest.fixture
def volume() -> np.ndarray:
    return np.random.default_rng(0).uniform(-1, 1, (1, 20, 24, 6)).astype(np.float32)


def test_nifti_keeps_affine_spacing_hu_and_marker(tmp_path, volume):
    window = CTWindow(-1000, 2000)
    affine = oblique_affine()
    files = write_sample(
        volume,
        tmp_path / "s0",
        "nifti",
        value_range=(-1, 1),
        affine=affine,
        intensity_inverse=window.inverse,
        provenance=PROVENANCE,
    )
    assert files == [tmp_path / "s0.nii.gz"]
    image = nib.load(files[0])
    np.testing.assert_allclose(image.affine, affine, atol=1e-5)
    assert image.header.get_zooms() == pytest.approx((0.8, 0.9, 2.5))
    assert image.header.get_sform(coded=True)[1] > 0 and image.header.get_qform(coded=True)[1] > 0
    np.testing.assert_allclose(image.get_fdata(), window.inverse(volume[0]), atol=1e-3)
    assert image.header["descrip"].item().startswith(b"SYNTHETIC")
    assert image.header.get_intent()[2] == "SYNTHETIC"
    (ext,) = image.header.extensions
    assert json.loads(ext.get_content()) == PROVENANCE
    _, meta = read_image(files[0])  # and the zoo's own reader agrees
    np.testing.assert_allclose(meta["affine"], affine, atol=1e-5)


def test_dicom_series_keeps_geometry_hu_and_marker(tmp_path, volume):
    window = CTWindow(-1000, 2000)
    affine = oblique_affine()
    files = write_sample(
        volume,
        tmp_path / "s0",
        "dicom",
        value_range=(-1, 1),
        affine=affine,
        intensity_inverse=window.inverse,
        provenance=PROVENANCE,
    )
    assert len(files) == 6 and files[0] == tmp_path / "s0" / "IM_0001.dcm"
    datasets = [pydicom.dcmread(f) for f in files]
    first = datasets[0]
    assert list(first.ImageType) == ["DERIVED", "SECONDARY"]
    assert first.Modality == "CT" and first.SOPClassUID == pydicom.uid.CTImageStorage
    assert first.SeriesDescription.startswith("SYNTHETIC")
    assert "SYNTHETIC" in first.ImageComments and first.BurnedInAnnotation == "NO"
    assert is_synthetic(first)
    block = first.private_block(PRIVATE_GROUP, PRIVATE_CREATOR)
    assert json.loads(block[0x02].value) == PROVENANCE
    # Fresh UIDs: one study/series/frame of reference, a new SOP instance per slice.
    assert len({d.SOPInstanceUID for d in datasets}) == 6
    assert (
        len({(d.StudyInstanceUID, d.SeriesInstanceUID, d.FrameOfReferenceUID) for d in datasets})
        == 1
    )
    assert first.SOPInstanceUID == first.file_meta.MediaStorageSOPInstanceUID
    # Geometry from the affine, in DICOM's LPS frame.
    lps = np.diag([-1, -1, 1, 1]) @ affine
    row_dir = lps[:3, 0] / 0.8
    col_dir = lps[:3, 1] / 0.9
    np.testing.assert_allclose(
        [float(v) for v in first.ImageOrientationPatient], [*row_dir, *col_dir], atol=1e-6
    )
    assert [float(v) for v in first.PixelSpacing] == pytest.approx([0.9, 0.8])
    assert float(first.SliceThickness) == pytest.approx(2.5)
    np.testing.assert_allclose(
        [float(v) for v in datasets[3].ImagePositionPatient], lps[:3, 3] + 3 * lps[:3, 2], atol=1e-4
    )
    # HU within one unit, per slice (rows = second axis), straight from pydicom.
    hu = window.inverse(volume[0])
    for k, ds in enumerate(datasets):
        slope, intercept = float(ds.RescaleSlope), float(ds.RescaleIntercept)
        stored_hu = ds.pixel_array * slope + intercept
        assert np.abs(stored_hu - hu[:, :, k].T).max() <= 0.5 + 1e-6
    # The zoo's reader (MONAI PydicomReader) gives back the same array and affine.
    array, meta = read_image(tmp_path / "s0")
    assert array.shape == volume.shape
    assert np.abs(array - hu).max() <= 0.5 + 1e-4
    np.testing.assert_allclose(meta["affine"], affine, atol=1e-4)


def test_dicom_round_trip_of_real_ct_slice(tmp_path):
    original = pydicom.dcmread(CT_SMALL)
    hu, meta = read_image(CT_SMALL)
    window = CTWindow(-1024, 3071)
    files = write_sample(
        window.forward(hu),
        tmp_path / "ct",
        "dicom",
        value_range=(-1, 1),
        affine=meta["affine"],
        intensity_inverse=window.inverse,
        provenance={"modality": "CT"},
    )
    assert files == [tmp_path / "ct.dcm"]
    copy = pydicom.dcmread(files[0])
    for key in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing"):
        np.testing.assert_allclose(
            [float(v) for v in copy[key].value], [float(v) for v in original[key].value], atol=1e-4
        )
    assert (copy.Rows, copy.Columns) == (original.Rows, original.Columns)
    again, _ = read_image(files[0])
    assert np.abs(again - hu).max() <= 1.0
    assert copy.StudyInstanceUID != original.StudyInstanceUID


def test_dicom_mr_without_inverse_keeps_model_values(tmp_path, volume):
    files = write_sample(
        volume, tmp_path / "mr", "dicom", value_range=(-1, 1), provenance={"modality": "MR"}
    )
    ds = pydicom.dcmread(files[0])
    assert ds.Modality == "MR" and ds.SOPClassUID == pydicom.uid.MRImageStorage
    array, _ = read_image(tmp_path / "mr")
    assert np.abs(array - volume).max() <= 2 / 65535  # 16-bit levels over the model range


def test_png_text_chunks_and_values(tmp_path):
    image = torch.linspace(-1, 1, 12 * 20).reshape(1, 12, 20)
    (path,) = write_sample(image, tmp_path / "p", "png", value_range=(-1, 1), provenance=PROVENANCE)
    with Image.open(path) as png:
        assert png.mode == "L" and png.size == (20, 12)
        assert png.text["Synthetic"] == "true"
        assert png.text["Software"].startswith("zoo-core")
        assert json.loads(png.text["Provenance"]) == PROVENANCE
        pixels = np.asarray(png)
    np.testing.assert_array_equal(pixels, np.rint((image[0].numpy() + 1) / 2 * 255))

    (deep,) = write_sample(image, tmp_path / "d", "png", value_range=(-1, 1), bits=16)
    with Image.open(deep) as png:
        assert np.asarray(png).max() == 65535 and png.text["Synthetic"] == "true"


def test_png_rgb_plus_map_channels(tmp_path):
    sample = np.zeros((4, 8, 8), np.float32)
    sample[0] = 1.0  # red
    files = write_sample(
        sample, tmp_path / "f", "png", value_range=(0, 1), channel_names=["R", "G", "B", "vessels"]
    )
    assert [f.name for f in files] == ["f_RGB.png", "f_vessels.png"]
    with Image.open(files[0]) as rgb:
        assert rgb.mode == "RGB" and rgb.getpixel((0, 0)) == (255, 0, 0)
    with Image.open(files[1]) as gray:
        assert gray.mode == "L" and gray.text["Synthetic"] == "true"
    with pytest.raises(DataError, match="3 channel names"):
        write_sample(
            sample, tmp_path / "x", "png", value_range=(0, 1), channel_names=["R", "G", "B"]
        )
    with pytest.raises(DataError, match="write 3D samples with --format nifti or dicom"):
        write_sample(np.zeros((1, 4, 4, 4)), tmp_path / "v", "png", value_range=(0, 1))
    with pytest.raises(DataError, match="unknown output format 'tiff'"):
        write_sample(sample, tmp_path / "t", "tiff", value_range=(0, 1))


def test_multichannel_nifti_one_file_per_channel(tmp_path, volume):
    sample = np.concatenate([volume, -volume])
    files = write_sample(
        sample, tmp_path / "m", "nifti", value_range=(-1, 1), channel_names=["t1", "tumour"]
    )
    assert [f.name for f in files] == ["m_t1.nii.gz", "m_tumour.nii.gz"]
    np.testing.assert_allclose(nib.load(files[1]).get_fdata(), -volume[0], atol=1e-6)


def test_provenance_record_and_atomic_file(tmp_path):
    condition = tmp_path / "cond.nii.gz"
    condition.write_bytes(b"not really a volume but bytes to hash")
    model = SimpleNamespace(
        model_id="mangalagiri-cgan3d-ct",
        weights_info={
            "repo_id": "org/model",
            "revision": "a" * 40,
            "sha256": {"model.safetensors": "b" * 64},
        },
        card=SimpleNamespace(zoo={"architecture": "cgan3d", "modality": "CT"}),
    )
    record = provenance_record(model, seed=3, conditions=[condition], extra={"format": "nifti"})
    assert record["model_id"] == "mangalagiri-cgan3d-ct" and record["revision"] == "a" * 40
    assert record["weights_sha256"] == {"model.safetensors": "b" * 64}
    assert record["seed"] == 3 and record["synthetic"] is True and record["modality"] == "CT"
    digest = hashlib.sha256(condition.read_bytes()).hexdigest()
    assert record["conditions"] == [{"file": "cond.nii.gz", "sha256": digest}]
    assert {"zoo-core", "torch", "monai", "numpy", "python"} <= set(record["versions"])
    assert (
        record["versions"]["torch"] == torch.__version__.split("+")[0]
        or record["versions"]["torch"] == torch.__version__
    )
    assert record["format"] == "nifti" and record["created"].endswith("+00:00")
    path = write_provenance(tmp_path / "out", record)
    assert path == tmp_path / "out" / "provenance.json"
    assert json.loads(path.read_text()) == record
    assert [p.name for p in path.parent.iterdir()] == ["provenance.json"]  # no temp left
    with pytest.raises(DataError, match=r"gone\.nii\.gz: condition file not found"):
        provenance_record(model, seed=0, conditions=[tmp_path / "gone.nii.gz"])


def test_montage_grid_2d_3d_and_rgb(tmp_path):
    images = torch.linspace(-1, 1, 5 * 16 * 16).reshape(5, 1, 16, 16)
    path = save_montage(
        images, tmp_path / "m.png", value_range=(-1, 1), nrow=3, labels=[f"#{i}" for i in range(5)]
    )
    with Image.open(path) as png:
        assert png.size == (3 * 18 + 2, 2 * 18 + 2)  # torchvision make_grid, padding 2
        assert png.text["Synthetic"] == "true"
    volumes = torch.zeros(2, 1, 8, 8, 9)
    volumes[:, :, :, :, 4] = 1.0  # only the middle axial slice is bright
    with Image.open(save_montage(volumes, tmp_path / "v.png", value_range=(0, 1))) as png:
        assert png.size == (2 * 10 + 2, 10 + 2)
        assert png.getpixel((5, 5)) == (255, 255, 255)
    rgbv = torch.zeros(1, 4, 8, 8)
    rgbv[:, 1] = 1.0  # green, vessels empty
    with Image.open(
        save_montage(
            rgbv, tmp_path / "f.png", value_range=(0, 1), channel_names=["R", "G", "B", "vessels"]
        )
    ) as png:
        # RGB tile and vessel tile side by side (make_grid adds no border around one image)
        assert png.size == (16, 8)
        assert png.getpixel((3, 3)) == (0, 255, 0) and png.getpixel((11, 3)) == (0, 0, 0)
