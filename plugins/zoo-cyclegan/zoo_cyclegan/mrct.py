"""The shipped weights' data: brain MR and brain CT from two real heads, split into a training
part and a held-out slab each.

The two scans that install offline are nilearn's MNI152 T1 template and TotalSegmentator's
head CT atlas, and both hold the brain alone. Unpaired translation needs the two domains to
show it the same way:

- MR: the T1 as nilearn ships it, already brain-extracted (0 outside the brain);
- CT: the atlas with its outside (the zeros connected to the volume's border; zeros inside
  the brain are CSF and stay) set to air, -1000 HU, as a skull-stripped CT shows it.

The MNI152 brain is about 12 % larger than the CT's (181 vs 160 mm front to back), and a
discriminator would learn the size of its domain's brain, so each scan is resampled in-plane
to put its brain's longest in-plane extent across :data:`BRAIN_PIXELS` of a :data:`SIDE`
pixel square centred on the brain (1.62 mm pixels for the MR, 1.43 mm for the CT; the axial
spacing stays 1 mm). A user's scan meets the shipped weights best prepared the same way.

Each is then cut once along its axial axis at the same share of the brain's height: world
z = 0 mm in the MNI152 (the split of the zoo's other MNI152 weights) and the same share of
the CT's brain. The inferior slab trains, the superior one is held out. Neighbouring slices
are near copies, so a random split would leak.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Side of the prepared slices in pixels.
SIDE = 128
#: Pixels the brain's longest in-plane extent spans after resampling.
BRAIN_PIXELS = 112
#: HU written outside the CT's brain: air, as a skull-stripped CT shows it.
AIR_HU = -1000.0
MR_NAME = "mni152_t1_brain.nii.gz"
CT_NAME = "head_ct_brain.nii.gz"


def mr_brain() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(T1 in [0, 1], brain mask, affine)`` of the MNI152. nilearn's template is already
    brain-extracted (0 outside), so the mask is where it is positive, holes filled."""
    from scipy import ndimage

    from zoo_core.plugin_api import load_mni152

    t1, affine = load_mni152("t1")
    return (t1 / t1.max()).astype(np.float32), ndimage.binary_fill_holes(t1 > 0), affine


def ct_brain() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(CT in HU with air outside the brain, brain mask, affine)`` of the head CT atlas."""
    from scipy import ndimage

    from zoo_core.plugin_api import load_head_ct

    hu, affine = load_head_ct()
    zeros, _ = ndimage.label(hu == 0)
    border = np.unique(
        np.concatenate([np.moveaxis(zeros, a, 0)[[0, -1]].ravel() for a in range(3)])
    )
    outside = np.isin(zeros, border[border > 0])
    return np.where(outside, AIR_HU, hu).astype(np.float32), ~outside, affine


def resample_in_plane(
    volume: np.ndarray, mask: np.ndarray, affine: np.ndarray, fill: float
) -> tuple[np.ndarray, np.ndarray]:
    """``volume`` on a :data:`SIDE` square around ``mask``'s in-plane box, its longest side
    over :data:`BRAIN_PIXELS` (linear interpolation, ``fill`` outside the scan), and the new
    affine. Only axis-aligned scans with 1 mm voxels come here (both shipped ones are)."""
    from scipy import ndimage

    diagonal = np.diag(affine)[:3]
    if not np.allclose(np.abs(diagonal), 1.0) or not np.allclose(affine[:3, :3], np.diag(diagonal)):
        raise ValueError("resample_in_plane expects an axis-aligned scan with 1 mm voxels")
    inside = np.argwhere(mask)[:, :2]
    low, high = inside.min(0), inside.max(0) + 1
    pixel = float((high - low).max()) / BRAIN_PIXELS
    start = (low + high - 1) / 2.0 - (SIDE - 1) * pixel / 2.0  # voxel position of pixel 0
    axis = start[:, None] + pixel * np.arange(SIDE)[None, :]
    xs, ys = np.meshgrid(axis[0], axis[1], indexing="ij")
    out = np.empty((SIDE, SIDE, volume.shape[2]), np.float32)
    for z in range(volume.shape[2]):
        out[:, :, z] = ndimage.map_coordinates(
            volume[:, :, z], [xs, ys], order=1, mode="constant", cval=fill
        )
    new = affine.copy()
    new[:2, :2] = np.diag(diagonal[:2] * pixel)
    new[:2, 3] = affine[:2, :2] @ start + affine[:2, 3]
    return out, new


def split_slabs(mask: np.ndarray, share: float) -> tuple[slice, slice]:
    """(training, held-out) axial ranges of a brain ``mask``: below and above ``share`` of the
    brain's axial extent."""
    z = np.flatnonzero(mask.any(axis=(0, 1)))
    low, high = int(z[0]), int(z[-1]) + 1
    cut = low + round(share * (high - low))
    return slice(low, cut), slice(cut, high)


def write_mr_ct_split(out_dir: str | Path) -> dict[str, Path]:
    """``train/`` and ``test/`` folders, each with ``domain_a/`` (brain MR in [0, 1]) and
    ``domain_b/`` (brain CT in HU): the data ``zoo train`` and ``zoo evaluate`` of the shipped
    CycleGAN weights read. Returns the four files written, by ``part/domain``."""
    from zoo_core.plugin_api import mni152_split_index, save_volume

    mr, ct = mr_brain(), ct_brain()
    z = np.flatnonzero(mr[1].any(axis=(0, 1)))
    share = (mni152_split_index(mr[2]) - z[0]) / (z[-1] + 1 - z[0])
    sources = {
        "domain_a": (mr, 0.0, MR_NAME, "MNI152 T1 brain (nilearn)"),
        "domain_b": (ct, AIR_HU, CT_NAME, "head CT brain in HU (TotalSegmentator)"),
    }
    written: dict[str, Path] = {}
    for domain, ((volume, mask, affine), fill, name, note) in sources.items():
        resampled, new_affine = resample_in_plane(volume, mask, affine, fill)
        for part, zs in zip(("train", "test"), split_slabs(mask, share), strict=True):
            moved = new_affine.copy()
            moved[:3, 3] = new_affine[:3, :3] @ [0, 0, zs.start] + new_affine[:3, 3]
            path = Path(out_dir) / part / domain / name
            written[f"{part}/{domain}"] = save_volume(resampled[:, :, zs], moved, path, note)
    return written
