"""What a user would do instead of the cGAN, and the figures that compare them on whole slabs.

Per task, the simple methods a radiologist's toolbox offers for the same input: for noise, a
Gaussian filter (its sigma tuned on the evaluated scan itself, which favours it) and median
filters of 3^3 and 5^3 voxels; for a pixelated scan, trilinear and tricubic interpolation of
the low-resolution samples it was made from. Every method's output is scored like the cGAN's:
PSNR over the scan as one volume and over the tissue mask (a mean of per-slice PSNR is no
summary: near-empty slices score 80 dB and more), and 3D SSIM, all in HU with the clean
scan's HU range as the peak.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

#: Gaussian sigmas (voxels) the tuned Gaussian baseline tries.
GAUSSIAN_SIGMAS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5)
MEDIAN_SIZES = (3, 5)


def gaussian_filters() -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    from scipy.ndimage import gaussian_filter

    return {f"gaussian s={s:g}": (lambda v, s=s: gaussian_filter(v, s)) for s in GAUSSIAN_SIGMAS}


def median_filters() -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    from scipy.ndimage import median_filter

    return {f"median {n}^3": (lambda v, n=n: median_filter(v, size=n)) for n in MEDIAN_SIZES}


def low_resolution_samples(pixelated: np.ndarray, factor: int) -> np.ndarray:
    """The samples a pixelated scan repeats: every ``factor``-th voxel, from the origin."""
    return pixelated[::factor, ::factor, ::factor]


def interpolate_samples(low: np.ndarray, factor: int, shape: tuple[int, ...], order: int):
    """Spline interpolation (order 1 trilinear, 3 tricubic) of samples at ``factor * i``
    back to the full grid: the sample positions :func:`zoo_cgan3d.conditions.pixelate` used."""
    from scipy.ndimage import map_coordinates

    grid = np.meshgrid(*[np.arange(n) / factor for n in shape], indexing="ij")
    coords = np.stack(grid).astype(np.float32)
    return map_coordinates(low.astype(np.float64), coords, order=order, mode="nearest").astype(
        np.float32
    )


def interpolators(factor: int) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    def make(order: int):
        def upsample(pixelated: np.ndarray) -> np.ndarray:
            low = low_resolution_samples(pixelated, factor)
            return interpolate_samples(low, factor, pixelated.shape, order)

        return upsample

    return {"trilinear": make(1), "tricubic": make(3)}


def baselines_for(task: str, pixelate_factor: int) -> dict[str, Callable]:
    """The baselines of a task, applied to its condition in HU (none for autoencode)."""
    if task == "denoise":
        return {**gaussian_filters(), **median_filters()}
    if task == "depixelate":
        return interpolators(pixelate_factor)
    return {}


def slab_metrics(
    volume: np.ndarray, clean: np.ndarray, tissue: np.ndarray, data_range: float
) -> dict[str, float]:
    """PSNR of the whole volume and of the tissue voxels, and 3D SSIM, in HU."""
    from zoo_core.plugin_api import masked_psnr, psnr, ssim

    fake = torch.from_numpy(np.ascontiguousarray(volume, dtype=np.float32))[None, None]
    real = torch.from_numpy(np.ascontiguousarray(clean, dtype=np.float32))[None, None]
    return {
        "psnr": float(psnr(fake, real, data_range)[0]),
        "psnr_tissue": masked_psnr(fake, real, torch.from_numpy(tissue)[None, None], data_range),
        "ssim": float(ssim(fake, real, data_range)[0]),
    }


def keep_best_gaussian(rows: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Of the Gaussian filters, keep the one with the best whole-volume PSNR, named by sigma."""
    gaussians = {k: v for k, v in rows.items() if k.startswith("gaussian")}
    if not gaussians:
        return rows
    best = max(gaussians, key=lambda k: gaussians[k]["psnr"])
    return {k: v for k, v in rows.items() if not k.startswith("gaussian") or k == best}


def seam_ratio(volume: np.ndarray, step: int, mask: np.ndarray | None = None) -> float:
    """Mean absolute step between neighbouring voxels across tiling boundaries (every
    ``step`` voxels) over the mean step everywhere else: 1 means no visible seams.

    Taken along all three axes, over pairs whose both voxels lie in ``mask`` if given.
    """
    across, inside = [], []
    for axis in range(3):
        diff = np.abs(np.diff(volume, axis=axis))
        keep = np.ones_like(diff, dtype=bool)
        if mask is not None:
            keep = np.take(mask, range(1, mask.shape[axis]), axis=axis)
            keep = keep & np.take(mask, range(mask.shape[axis] - 1), axis=axis)
        boundary = (np.arange(diff.shape[axis]) + 1) % step == 0
        shape = [1, 1, 1]
        shape[axis] = -1
        boundary = np.broadcast_to(boundary.reshape(shape), diff.shape)
        across.append(diff[keep & boundary])
        inside.append(diff[keep & ~boundary])
    return float(np.concatenate(across).mean() / max(np.concatenate(inside).mean(), 1e-12))
