"""Real medical images that installed PyPI packages carry inside their wheels.

Nothing may be downloaded at run time, yet demos, tests and small training sets need real
anatomy. nilearn ships the MNI152 T1 template with grey/white-matter maps, totalsegmentator a
head CT atlas in HU, scikit-image a fundus photograph and pydicom small CT/MR files. Plugins
used to find each of them on their own (importing nilearn, which takes seconds, just to learn
its folder); this module is the one place that knows where they are.

Files are found with :func:`importlib.util.find_spec`, which locates a package without
importing it, and a missing package or file raises :class:`~zoo_core.errors.DataError` with
the command that installs it. The writers copy or save the images as real data (no
synthetic marker) in the folder layouts :func:`zoo_core.data.training_dataset` reads:
volumes directly in the folder, which ``data.mode`` ``slices``, ``blocks`` or ``volumes``
cut as they need.
"""

from __future__ import annotations

import gzip
import importlib.util
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from zoo_core.errors import DataError

__all__ = [
    "SHIPPED",
    "ShippedImage",
    "copy_shipped",
    "head_ct_path",
    "load_head_ct",
    "load_mni152",
    "load_retina",
    "load_volume",
    "mni152_path",
    "mni152_slabs",
    "package_folder",
    "retina_path",
    "save_volume",
    "shipped_path",
    "write_mni152",
]


@dataclass(frozen=True)
class ShippedImage:
    """One image inside an installed package: where it lies and how to get the package."""

    package: str  # the import name, e.g. "skimage"
    member: str  # path inside the package folder
    install: str  # the command that installs the package
    description: str


_MNI = "datasets/data/mni_icbm152_{}_tal_nlin_sym_09a_converted.nii.gz"
_NILEARN = "pip install nilearn"

#: Every image the zoo knows to be shipped, by the name the functions below take.
SHIPPED: dict[str, ShippedImage] = {
    "mni152_t1": ShippedImage(
        "nilearn", _MNI.format("t1"), _NILEARN, "MNI152 2009a sym T1 brain MRI, 197x233x189 1 mm"
    ),
    "mni152_gm": ShippedImage(
        "nilearn", _MNI.format("gm"), _NILEARN, "MNI152 2009a grey-matter probability map"
    ),
    "mni152_wm": ShippedImage(
        "nilearn", _MNI.format("wm"), _NILEARN, "MNI152 2009a white-matter probability map"
    ),
    "head_ct": ShippedImage(
        "totalsegmentator",
        "resources/ct_brain_atlas_1mm.nii.gz",
        "pip install --no-deps totalsegmentator",
        "TotalSegmentator head CT atlas, 202x202x179 1 mm, int16 HU",
    ),
    "retina": ShippedImage(
        "skimage",
        "data/retina.jpg",
        "pip install scikit-image",
        "RGB fundus photograph, 1411x1411 (CC0)",
    ),
    "nibabel_t1": ShippedImage(
        "nibabel",
        "tests/data/anatomical.nii",
        "pip install nibabel",
        "single-subject T1 brain MRI crop, 33x41x25 at 2 mm (nibabel's test data)",
    ),
    "ct_small": ShippedImage(
        "pydicom", "data/test_files/CT_small.dcm", "pip install pydicom", "CT DICOM, 128x128"
    ),
    "mr_small": ShippedImage(
        "pydicom", "data/test_files/MR_small.dcm", "pip install pydicom", "MR DICOM, 64x64"
    ),
}

MNI152_KINDS = ("t1", "gm", "wm")


def package_folder(package: str, install: str | None = None) -> Path:
    """The folder of an installed package, found without importing it (nilearn takes
    seconds to import; its data files are all that is wanted here)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):  # a parent package missing, or a broken install
        spec = None
    if spec is None or not spec.submodule_search_locations:
        how = install or f"pip install {package}"
        raise DataError(f"{package} is not installed: `{how}` (it ships the image needed here).")
    return Path(next(iter(spec.submodule_search_locations)))


def shipped_path(name: str) -> Path:
    """The file of shipped image ``name`` (a key of :data:`SHIPPED`)."""
    if name not in SHIPPED:
        raise DataError(f"no shipped image is called {name!r}; known: {', '.join(SHIPPED)}.")
    image = SHIPPED[name]
    path = package_folder(image.package, image.install) / image.member
    if not path.is_file():
        raise DataError(
            f"{path} is missing from the installed {image.package} package: reinstall it "
            f"(`{image.install} --force-reinstall`)."
        )
    return path


def _mni152(kind: str) -> str:
    if kind not in MNI152_KINDS:
        raise DataError(f"MNI152 comes as {', '.join(MNI152_KINDS)}, not {kind!r}.")
    return f"mni152_{kind}"


def mni152_path(kind: str = "t1") -> Path:
    """nilearn's 1 mm MNI152 2009a template: ``t1``, or the ``gm``/``wm`` probability map."""
    return shipped_path(_mni152(kind))


def head_ct_path() -> Path:
    """TotalSegmentator's 1 mm head CT atlas (int16 HU, 0 HU outside the brain)."""
    return shipped_path("head_ct")


def retina_path() -> Path:
    """scikit-image's fundus photograph (what ``skimage.data.retina()`` reads)."""
    return shipped_path("retina")


def load_volume(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A shipped NIfTI image as ``(float32 array in the file's units, 4x4 affine)``.

    The array keeps the file's axes (RAS voxel order for these files); scaling to a range
    is left to the caller, since each use wants its own (HU windows, [0, 1], raw).
    """
    import nibabel as nib

    path = shipped_path(name)
    if not path.name.endswith((".nii", ".nii.gz")):
        raise DataError(f"{name} ({path.name}) is not a NIfTI volume.")
    image = nib.load(str(path))
    return np.asarray(image.get_fdata(dtype=np.float32)), np.asarray(image.affine, dtype=float)


def load_mni152(kind: str = "t1") -> tuple[np.ndarray, np.ndarray]:
    """The MNI152 ``t1``/``gm``/``wm`` volume (197x233x189, 1 mm) and its affine."""
    return load_volume(_mni152(kind))


#: Voxels of background kept around the MNI152 head's bounding box by :func:`mni152_slabs`.
MNI152_MARGIN = 2


def mni152_split_index(affine: np.ndarray) -> int:
    """The axial voxel index of world z = 0 mm, where the MNI152 is split into the training
    (inferior) and held-out (superior) slabs, for a volume with this ``affine`` (the
    template's axes are aligned with the world's; any voxel size)."""
    return round(float(np.linalg.solve(affine, [0.0, 0.0, 0.0, 1.0])[2]))


def mni152_slabs(kind: str = "t1") -> dict[str, Any]:
    """The MNI152 ``kind`` cut into ``{"train": Nifti1Image, "test": Nifti1Image}``.

    One subject is all that exists offline, so it is split once along the axial axis at
    world z = 0 mm: the inferior slab (cerebellum, temporal lobes, brainstem) to train on and
    the superior one (cortex, ventricles) to hold out; neighbouring slices are near copies, so
    a random split would leak. Both are cropped to the T1's head box plus
    :data:`MNI152_MARGIN`, so every kind's slabs align, and scaled to [0, 1] by the maximum,
    as nilearn's ``load_mni152_template``.
    """
    import nibabel as nib

    t1, affine = load_mni152("t1")
    data = t1 if kind == "t1" else load_mni152(kind)[0]
    image = nib.Nifti1Image((data / data.max()).astype(np.float32), affine)
    inside = np.argwhere(t1 > 0)
    low = np.maximum(inside.min(0) - MNI152_MARGIN, 0)
    high = np.minimum(inside.max(0) + 1 + MNI152_MARGIN, data.shape)
    split = int(np.clip(mni152_split_index(affine), low[2] + 1, high[2] - 1))
    x, y = slice(low[0], high[0]), slice(low[1], high[1])
    return {
        "train": image.slicer[x, y, low[2] : split],
        "test": image.slicer[x, y, split : high[2]],
    }


def load_head_ct() -> tuple[np.ndarray, np.ndarray]:
    """The head CT in HU (202x202x179, 1 mm) and its affine."""
    return load_volume("head_ct")


def load_retina() -> np.ndarray:
    """The fundus photograph as uint8 ``(1411, 1411, 3)`` RGB, as ``skimage.data.retina()``."""
    from PIL import Image

    with Image.open(retina_path()) as image:
        return np.asarray(image.convert("RGB"))


def save_volume(
    array: np.ndarray,
    affine: np.ndarray,
    path: str | Path,
    description: str | None = None,
) -> Path:
    """Save a real (not synthetic) 2D or 3D image as NIfTI, atomically.

    Units are declared as mm; ``description`` goes in the header's ``descrip`` (80 bytes) to
    say where the data came from. Writing to a temporary name first means an interrupted
    run never leaves a truncated file that a later run would take as done.
    """
    import nibabel as nib

    from zoo_core.weights import atomic_path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = nib.Nifti1Image(np.asarray(array), np.asarray(affine, dtype=float))
    image.header.set_xyzt_units("mm")
    if description:
        image.header["descrip"] = description.encode()[:79]
    data = image.to_bytes()
    if path.name.endswith(".gz"):  # the temporary name has no suffix for nibabel to go by
        data = gzip.compress(data, compresslevel=6)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def copy_shipped(out_dir: str | Path, files: Mapping[str, str]) -> Path:
    """Copy shipped images into ``out_dir`` as ``{relative path: shipped name}``; return it.

    Relative paths may name sub-folders, so one call writes a paired or unpaired layout
    (``{"domain_a/mr.nii.gz": "mni152_t1", "domain_b/ct.nii.gz": "head_ct"}``). Every source
    is located before anything is written, so a missing package leaves no half-filled
    folder. The copies are the files as shipped (byte for byte).
    """
    sources = {target: shipped_path(name) for target, name in files.items()}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for target, source in sources.items():
        (out / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, out / target)
    return out


def write_mni152(
    out_dir: str | Path,
    kinds: Iterable[str] = ("t1",),
    held_out: bool = False,
    file_names: Mapping[str, str] | None = None,
) -> Path:
    """``out_dir/mni152_<kind>.nii.gz`` for each kind: a volumes folder ``zoo train --data``
    reads (``data.mode: slices`` cuts the axial slices).

    ``held_out`` writes the zoo's one MNI152 split instead (:func:`mni152_slabs`: below and
    above world z = 0 mm, cropped to the head, scaled to [0, 1]) as ``out_dir/train`` and
    ``out_dir/test``, the folder ``zoo evaluate ID --real DIR`` measures a generator on.
    ``file_names`` maps a kind to the file name a plugin's dataset reads instead.
    """
    names = {k: (file_names or {}).get(k, f"{_mni152(k)}.nii.gz") for k in kinds}
    if not held_out:
        return copy_shipped(out_dir, {name: _mni152(kind) for kind, name in names.items()})
    out = Path(out_dir)
    for kind, name in names.items():
        for part, image in mni152_slabs(kind).items():
            path = out / part / name
            save_volume(image.get_fdata(dtype=np.float32), image.affine, path, "MNI152 (nilearn)")
    return out
