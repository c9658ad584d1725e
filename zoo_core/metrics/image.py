"""Full-reference image metrics (PSNR, SSIM, MS-SSIM) on 2D or 3D batches, via MONAI.

Every function takes ``data_range`` explicitly: the same images give different PSNR in HU
(range 2000) than in [-1, 1] (range 2), so a number without its range is meaningless. Inputs
are batches (N, C, *spatial); results are per item, shape (N,).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from zoo_core.errors import ZooError

#: MS-SSIM scale weights of Wang et al. 2003, as MONAI uses them.
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _pair(fake: torch.Tensor, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
    fake = torch.as_tensor(fake).float()
    real = torch.as_tensor(real).float()
    if fake.shape != real.shape:
        raise ZooError(
            f"paired metrics need equal shapes: fake {tuple(fake.shape)} vs real "
            f"{tuple(real.shape)}."
        )
    dims = fake.ndim - 2
    if dims not in (2, 3):
        raise ZooError(f"expected a batch (N, C, H, W[, D]), got shape {tuple(fake.shape)}.")
    return fake, real, dims


def _check_range(data_range: float) -> float:
    if not data_range or data_range <= 0:
        raise ZooError(f"data_range must be positive (max - min of the range), not {data_range}.")
    return float(data_range)


def psnr(fake: torch.Tensor, real: torch.Tensor, data_range: float) -> torch.Tensor:
    """Peak signal-to-noise ratio per item in dB: 10 log10(range^2 / MSE); inf when equal."""
    from monai.metrics import PSNRMetric

    fake, real, _ = _pair(fake, real)
    return PSNRMetric(max_val=_check_range(data_range), reduction="none")(fake, real).reshape(-1)


def ssim(
    fake: torch.Tensor, real: torch.Tensor, data_range: float, win_size: int = 11
) -> torch.Tensor:
    """Structural similarity per item (Gaussian window, sigma 1.5), 2D or 3D."""
    from monai.metrics import SSIMMetric

    fake, real, dims = _pair(fake, real)
    if min(fake.shape[2:]) < win_size:
        raise ZooError(
            f"SSIM needs at least {win_size} voxels per axis, got {tuple(fake.shape[2:])}."
        )
    metric = SSIMMetric(
        spatial_dims=dims,
        data_range=_check_range(data_range),
        win_size=win_size,
        reduction="none",
    )
    return metric(fake, real).reshape(-1)


def ms_ssim_levels(spatial: Sequence[int], kernel_size: int = 11, max_levels: int = 5) -> int:
    """How many MS-SSIM scales fit images of this size (MONAI's size rule), at most 5.

    The standard 5 scales need more than 160 pixels per side; 64x64 images get 3 and 32^3
    blocks 2, with the first weights renormalised, rather than an error.
    """
    for levels in range(max_levels, 0, -1):
        div = max(1, levels - 1) ** 2
        if all(s // div > kernel_size - 1 for s in spatial):
            return levels
    raise ZooError(f"images of size {tuple(spatial)} are too small for MS-SSIM.")


def ms_ssim(
    fake: torch.Tensor,
    real: torch.Tensor,
    data_range: float,
    kernel_size: int = 11,
    levels: int | None = None,
) -> torch.Tensor:
    """Multi-scale SSIM per item; ``levels`` defaults to as many scales as the size allows."""
    from monai.metrics.regression import compute_ms_ssim

    fake, real, dims = _pair(fake, real)
    levels = levels or ms_ssim_levels(fake.shape[2:], kernel_size)
    weights = torch.tensor(MS_SSIM_WEIGHTS[:levels])
    weights = (weights / weights.sum()).tolist()
    value = compute_ms_ssim(
        fake,
        real,
        spatial_dims=dims,
        data_range=_check_range(data_range),
        kernel_size=kernel_size,
        weights=weights,
    )
    return value.reshape(fake.shape[0], -1).mean(1)


def _slices(volume: torch.Tensor, axis: int) -> torch.Tensor:
    """(C, *spatial) or (*spatial) 3D volume -> (S, C, H, W) slices along a spatial axis."""
    volume = torch.as_tensor(volume).float()
    if volume.ndim == 3:
        volume = volume[None]
    if volume.ndim != 4:
        raise ZooError(f"expected a 3D volume (C, X, Y, Z), got shape {tuple(volume.shape)}.")
    spatial_axis = axis % 3 + 1
    return volume.movedim(spatial_axis, 0)


def per_scan(
    fake: torch.Tensor,
    real: torch.Tensor,
    data_range: float,
    mask: torch.Tensor | None = None,
    axis: int = -1,
    win_size: int = 11,
) -> dict[str, float]:
    """PSNR and SSIM of one scan as the 3D cGAN paper reports them (its Tables I and II).

    ``psnr``/``ssim``: 2D metrics of every slice along ``axis`` (axial for RAS NIfTI),
    averaged over slices; slices that are identical (infinite PSNR) are counted in
    ``identical_slices`` and left out of the PSNR mean. With a ``mask`` (the lung region),
    ``psnr_region`` is PSNR over the masked voxels and ``ssim_region`` the mean of the slices'
    SSIM maps over the masked pixels.
    """
    from monai.metrics.regression import compute_ssim_and_cs

    data_range = _check_range(data_range)
    fs, rs = _slices(fake, axis), _slices(real, axis)
    if fs.shape != rs.shape:
        raise ZooError(f"scan shapes differ: {tuple(fake.shape)} vs {tuple(real.shape)}.")
    slice_psnr = psnr(fs, rs, data_range)
    finite = torch.isfinite(slice_psnr)
    ssim_map, _ = compute_ssim_and_cs(
        fs,
        rs,
        spatial_dims=2,
        kernel_size=[win_size] * 2,
        kernel_sigma=[1.5, 1.5],
        data_range=data_range,
    )
    ssim_map = ssim_map.mean(1)  # over channels: (S, H', W')
    result = {
        "psnr": float(slice_psnr[finite].mean()) if finite.any() else float("inf"),
        "ssim": float(ssim_map.reshape(len(ssim_map), -1).mean(1).mean()),
        "slices": len(fs),
        "identical_slices": int((~finite).sum()),
    }
    if mask is not None:
        m = _slices(torch.as_tensor(mask), axis)[:, 0] > 0
        if m.shape != fs.shape[:1] + fs.shape[2:]:
            raise ZooError(
                f"mask shape {tuple(mask.shape)} does not match the scan {tuple(real.shape)}."
            )
        if not m.any():
            raise ZooError("the region mask is empty.")
        mse = ((fs - rs) ** 2).mean(1)[m].mean()
        region_psnr = 10 * torch.log10(data_range**2 / mse) if mse > 0 else math.inf
        result["psnr_region"] = float(region_psnr)
        r = win_size // 2
        m_valid = m[:, r : m.shape[1] - r, r : m.shape[2] - r]
        result["ssim_region"] = float(ssim_map[m_valid].mean()) if m_valid.any() else float("nan")
        result["region_voxels"] = int(m.sum())
    return result


def masked_psnr(
    fake: torch.Tensor, real: torch.Tensor, mask: torch.Tensor, data_range: float
) -> float:
    """PSNR over the voxels of ``mask`` only (e.g. tissue), pooled over the whole batch.

    Restoration quality over a head is dominated by the air around it, which every method
    gets right; the tissue is where methods differ.
    """
    fake, real, _ = _pair(fake, real)
    data_range = _check_range(data_range)
    mask = torch.as_tensor(mask, device=fake.device).bool().expand_as(fake)
    if not bool(mask.any()):
        raise ZooError("masked_psnr: the mask selects no voxel.")
    mse = float(((fake - real)[mask] ** 2).mean())
    return math.inf if mse == 0 else 10.0 * math.log10(data_range**2 / mse)


def high_frequency_ratio(
    fake: torch.Tensor, real: torch.Tensor, mask: torch.Tensor | None = None, sigma: float = 1.0
) -> float:
    """Energy of the detail (image minus its Gaussian blur of ``sigma`` voxels) in ``fake``
    over that in ``real``: 1 is as sharp as the truth, below 1 blurrier, above 1 noisier.

    Interpolation loses the finest detail, so this tells "sharper than tricubic" apart from
    "closer on average", which PSNR alone rewards even for a blurry result.
    """
    from monai.networks.layers import GaussianFilter

    fake, real, dims = _pair(fake, real)
    blur = GaussianFilter(dims, sigma).to(fake.device)

    def detail(x: torch.Tensor) -> torch.Tensor:
        channels = x.shape[1]
        flat = x.reshape(-1, 1, *x.shape[2:])
        return (flat - blur(flat)).reshape(x.shape[0], channels, *x.shape[2:])

    d_fake, d_real = detail(fake), detail(real)
    if mask is not None:
        mask = torch.as_tensor(mask, device=fake.device).bool().expand_as(fake)
        d_fake, d_real = d_fake[mask], d_real[mask]
    return float((d_fake**2).sum() / (d_real**2).sum().clamp_min(1e-12))
