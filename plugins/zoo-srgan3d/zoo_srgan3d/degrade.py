"""Degradations that turn high-resolution patches into the low-resolution inputs to train on.

Every method returns a volume whose voxel ``j`` stands for the ``scale``^3 block of
high-resolution voxels ``scale*j .. scale*j + scale - 1`` (its centre ``scale*j + (scale-1)/2``):
the same convention as the generator's tile replication and as the output affine of
:func:`zoo_core.generation.output_affine`, so a low-resolution volume, its super-resolved output
and their affines line up in world space.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from zoo_core.plugin_api import ConfigError

#: Gaussian sigma per unit of full width at half maximum.
FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))


def _check(volume: torch.Tensor, scale: int) -> None:
    if volume.ndim != 5:
        raise ConfigError(f"degradation expects (N, C, D, H, W) batches, got {tuple(volume.shape)}")
    bad = [n for n in volume.shape[2:] if n % scale]
    if bad:
        raise ConfigError(
            f"high-resolution patch {tuple(volume.shape[2:])} is not a multiple of "
            f"model.scale_factor={scale}; choose data.spatial_size and model.patch_size "
            "divisible by it."
        )


def area(volume: torch.Tensor, scale: int) -> torch.Tensor:
    """Average of each scale^3 block: the partial-volume effect of a coarser voxel grid."""
    _check(volume, scale)
    return F.avg_pool3d(volume, scale)


def gaussian(volume: torch.Tensor, scale: int, fwhm: float | None = None) -> torch.Tensor:
    """Gaussian blur (FWHM in high-resolution voxels, default ``scale``), then block average.

    The blur pads by replicating the border so patches cut from inside a volume do not darken
    at their edges. MONAI's separable filter does the convolution.
    """
    from monai.networks.layers.simplelayers import gaussian_1d, separable_filtering

    _check(volume, scale)
    sigma = (scale if fwhm is None else fwhm) * FWHM_TO_SIGMA
    if sigma > 0:
        kernel = gaussian_1d(torch.tensor(sigma), truncated=3.0).to(volume)
        kernel = kernel / kernel.sum()  # the truncated kernel must keep the mean intensity
        volume = separable_filtering(volume, [kernel] * 3, mode="replicate")
    return F.avg_pool3d(volume, scale)


def kspace(volume: torch.Tensor, scale: int) -> torch.Tensor:
    """Keep the central 1/scale of k-space on every axis: an MR acquisition of lower resolution.

    A phase ramp shifts the low-resolution grid by (scale-1)/2 high-resolution voxels so that
    its voxel centres sit at the centres of the blocks they replace (see the module docstring).
    """
    _check(volume, scale)
    spectrum = torch.fft.fftn(volume.to(torch.float64), dim=(2, 3, 4))
    shift = (scale - 1) / 2.0
    for axis in (2, 3, 4):
        n = volume.shape[axis]
        m = n // scale
        freqs = torch.fft.fftfreq(m, d=1.0 / m, dtype=torch.float64, device=volume.device)
        index = freqs.round().long() % n
        spectrum = spectrum.index_select(axis, index)
        phase = torch.exp(2j * math.pi * freqs * shift / n)
        shape = [1] * spectrum.ndim
        shape[axis] = m
        spectrum = spectrum * phase.reshape(shape)
    low = torch.fft.ifftn(spectrum, dim=(2, 3, 4)).real / scale**3
    return low.to(volume.dtype)


def degrade(
    volume: torch.Tensor, scale: int, method: str, fwhm: float | None = None
) -> torch.Tensor:
    """Dispatch on the config's ``model.degradation``."""
    if method == "gaussian":
        return gaussian(volume, scale, fwhm)
    if method == "kspace":
        return kspace(volume, scale)
    if method == "area":
        return area(volume, scale)
    raise ConfigError(
        f"model.degradation={method!r} is not one of gaussian, kspace, area "
        "(see zoo_srgan3d.config)."
    )
