"""zoo_core.data.shipped: the real images inside installed wheels, found, read and written."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import nibabel as nib
import numpy as np
import pytest
from omegaconf import OmegaConf

from zoo_core.config import DataConfig
from zoo_core.data import shipped, training_dataset
from zoo_core.errors import DataError


def test_every_shipped_image_is_a_file_inside_its_package():
    for name, image in shipped.SHIPPED.items():
        path = shipped.shipped_path(name)
        assert path.is_file(), name
        spec = importlib.util.find_spec(image.package)
        assert str(path).startswith(next(iter(spec.submodule_search_locations))), name
    assert shipped.mni152_path("gm").name == "mni_icbm152_gm_tal_nlin_sym_09a_converted.nii.gz"
    assert shipped.head_ct_path().name == "ct_brain_atlas_1mm.nii.gz"


def test_files_are_found_without_importing_their_packages():
    code = (
        "import sys; from zoo_core.data import shipped; "
        "shipped.mni152_path('t1'); shipped.head_ct_path(); shipped.retina_path(); "
        "print(sorted({'nilearn', 'totalsegmentator', 'skimage'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_mni152_volumes_have_the_template_shape_and_affine():
    t1, affine = shipped.load_mni152("t1")
    assert t1.shape == (197, 233, 189) and t1.dtype == np.float32
    # 1 mm RAS voxels; voxel (98, 134, 72) is the origin of MNI space.
    np.testing.assert_array_equal(affine[:3, :3], np.eye(3))
    np.testing.assert_array_equal(affine @ [98, 134, 72, 1], [0, 0, 0, 1])
    assert t1.min() == 0 and t1.max() == 255  # stored as uint8
    gm, gm_affine = shipped.load_mni152("gm")
    wm, _ = shipped.load_mni152("wm")
    assert gm.shape == wm.shape == t1.shape
    np.testing.assert_array_equal(gm_affine, affine)
    # Probability maps stored as 0..255: grey and white matter of one voxel never sum past 1,
    # and tissue lies inside the head of the T1.
    assert gm.max() == wm.max() == 255 and float((gm + wm).max()) == 255
    assert bool((t1[(gm + wm) > 128] > 0).all())
    with pytest.raises(DataError, match="t1, gm, wm, not 'csf'"):
        shipped.load_mni152("csf")


def test_head_ct_is_in_hounsfield_units_at_1mm():
    hu, affine = shipped.load_head_ct()
    assert hu.shape == (202, 202, 179) and hu.dtype == np.float32
    np.testing.assert_array_equal(np.abs(np.diag(affine)[:3]), [1, 1, 1])
    assert np.array_equal(hu, np.rint(hu))  # int16 HU, no scaling
    brain = hu[hu != 0]
    assert -100 < float(np.median(brain)) < 100  # brain tissue is near water (0 HU)


def test_retina_matches_what_skimage_reads():
    import skimage.data

    rgb = shipped.load_retina()
    assert rgb.shape == (1411, 1411, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb, skimage.data.retina())


def test_pydicom_small_files_are_a_ct_and_an_mr():
    import pydicom

    ct = pydicom.dcmread(shipped.shipped_path("ct_small"))
    mr = pydicom.dcmread(shipped.shipped_path("mr_small"))
    assert (ct.Modality, ct.pixel_array.shape) == ("CT", (128, 128))
    assert (mr.Modality, mr.pixel_array.shape) == ("MR", (64, 64))


@pytest.mark.parametrize(
    ("name", "package", "install"),
    [
        ("mni152_t1", "nilearn", "pip install nilearn"),
        ("head_ct", "totalsegmentator", "pip install --no-deps totalsegmentator"),
        ("retina", "skimage", "pip install scikit-image"),
    ],
)
def test_a_missing_package_says_how_to_install_it(monkeypatch, tmp_path, name, package, install):
    real = importlib.util.find_spec

    def find_spec(module, *args):
        return None if module == package else real(module, *args)

    monkeypatch.setattr(shipped.importlib.util, "find_spec", find_spec)
    with pytest.raises(DataError, match=rf"{package} is not installed: `{install}`"):
        shipped.shipped_path(name)
    # Nothing is written when a source is missing.
    with pytest.raises(DataError):
        shipped.copy_shipped(tmp_path / "out", {"a.nii.gz": "mni152_gm", "b": name})
    assert not (tmp_path / "out").exists()


def test_a_file_missing_from_an_installed_package_is_named(monkeypatch):
    broken = shipped.ShippedImage("nilearn", "datasets/data/gone.nii.gz", "pip install nilearn", "")
    monkeypatch.setitem(shipped.SHIPPED, "gone", broken)
    with pytest.raises(DataError, match=r"gone\.nii\.gz is missing from the installed nilearn"):
        shipped.shipped_path("gone")
    with pytest.raises(DataError, match="no shipped image is called 'brats'; known: mni152_t1"):
        shipped.shipped_path("brats")


def test_copies_are_the_shipped_bytes_in_any_layout(tmp_path):
    files = {"domain_a/mr.nii.gz": "mni152_t1", "domain_b/ct.nii.gz": "head_ct"}
    out = shipped.copy_shipped(tmp_path / "unpaired", files)
    assert (out / "domain_b/ct.nii.gz").read_bytes() == shipped.head_ct_path().read_bytes()
    assert (out / "domain_a/mr.nii.gz").read_bytes() == shipped.mni152_path().read_bytes()


def test_write_mni152_gives_a_folder_zoo_train_reads_as_slices(tmp_path):
    folder = shipped.write_mni152(tmp_path / "mni", kinds=("t1", "gm"))
    assert sorted(p.name for p in folder.iterdir()) == ["mni152_gm.nii.gz", "mni152_t1.nii.gz"]
    cfg = OmegaConf.structured(
        DataConfig(mode="slices", spatial_size=[32, 32], intensity="minmax", min_foreground=0.1)
    )
    only_t1 = shipped.write_mni152(tmp_path / "t1")
    dataset = training_dataset(cfg, only_t1)
    item = dataset[len(dataset) // 2]
    assert item["target"].shape == (1, 32, 32)
    assert float(item["target"].min()) >= -1.0 and float(item["target"].max()) <= 1.0
    # Every axial slice with at least 10 % head voxels, of the 189.
    assert 100 < len(dataset) < 189


@pytest.mark.parametrize("shape", [(7, 5), (6, 5, 4)])
def test_save_volume_round_trips_a_real_image(tmp_path, shape):
    array = np.arange(np.prod(shape), dtype=np.int16).reshape(shape)
    affine = np.diag([0.5, 0.75, 2.0, 1.0])
    affine[:3, 3] = [-10, 20, 30]
    path = shipped.save_volume(array, affine, tmp_path / "sub" / "x.nii.gz", "real head CT")
    image = nib.load(str(path))
    np.testing.assert_array_equal(np.asarray(image.dataobj), array)
    assert image.get_data_dtype() == np.int16
    np.testing.assert_array_equal(image.affine, affine)
    assert image.header.get_xyzt_units()[0] == "mm"
    assert image.header["descrip"].item() == b"real head CT"  # real data: no synthetic marker
    assert [p.name for p in path.parent.iterdir()] == ["x.nii.gz"]  # no temporary left
