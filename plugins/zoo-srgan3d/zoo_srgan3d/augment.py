"""Intensity augmentation of high-resolution training patches (not in the paper).

The demo weights train on one template; users bring scans from other scanners, contrasts and
noise levels. Each patch gets, independently: a gamma curve, a brightness scale and offset, a
smooth multiplicative bias field, sometimes an inverted contrast (T1 -> T2-like) and Gaussian
noise. All act on the high-resolution patch before it is degraded, so the low-resolution input
and the target stay a consistent pair, as a real noisy scan and its coarser acquisition would.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

#: log-gamma drawn from U(-GAMMA, GAMMA): gamma in [0.67, 1.5].
GAMMA = 0.4
SCALE = (0.6, 1.1)
OFFSET = (-0.05, 0.1)
#: Standard deviation of the log bias field at its 2x2x2 control points.
BIAS = 0.15
INVERT_P = 0.2
NOISE_P = 0.5
#: Noise standard deviation, in units of the [-1, 1] data range, drawn from U(0, NOISE_MAX).
NOISE_MAX = 0.04


def _uniform(n: int, low: float, high: float, like: torch.Tensor, generator) -> torch.Tensor:
    shape = (n,) + (1,) * (like.ndim - 1)
    u = torch.rand(shape, generator=generator, device=like.device, dtype=like.dtype)
    return low + (high - low) * u


def augment_intensity(high: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """(N, C, D, H, W) patches in [-1, 1] -> augmented patches in [-1, 1]."""
    n = high.shape[0]
    u = (high.clamp(-1.0, 1.0) + 1.0) / 2.0
    u = u ** torch.exp(_uniform(n, -GAMMA, GAMMA, u, generator))
    invert = _uniform(n, 0.0, 1.0, u, generator) < INVERT_P
    u = torch.where(invert, 1.0 - u, u)
    u = u * _uniform(n, *SCALE, u, generator) + _uniform(n, *OFFSET, u, generator)
    control = torch.randn((n, 1, 2, 2, 2), generator=generator, device=u.device, dtype=u.dtype)
    field = F.interpolate(control * BIAS, size=u.shape[2:], mode="trilinear", align_corners=True)
    u = u * torch.exp(field)
    sigma = _uniform(n, 0.0, NOISE_MAX, u, generator)
    sigma = sigma * (_uniform(n, 0.0, 1.0, u, generator) < NOISE_P)
    noise = torch.randn(u.shape, generator=generator, device=u.device, dtype=u.dtype)
    return (u * 2.0 - 1.0 + noise * sigma).clamp(-1.0, 1.0)
