"""The three conditions of the paper, made from a clean block (or a whole volume) on the fly.

They work on any ``(N, C, *spatial)`` tensor in [-1, 1] on any device, so the trainer makes
them per batch on the accelerator and the evaluation makes them for a whole scan the same way.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from zoo_core.plugin_api import ConfigError

TASKS = ("autoencode", "denoise", "depixelate")


def poisson_noise(
    x: torch.Tensor, level: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Poisson noise whose variance is ``level`` times the intensity.

    Intensities u = (x + 1) / 2 in [0, 1] are read as ``u / level`` expected photon counts;
    the noisy intensity is ``level * Poisson(u / level)``, so its mean is u and its variance
    ``level * u`` (in [-1, 1] units: ``4 * level * u``). Brighter (denser) voxels are noisier
    in absolute terms, as in a photon-counting detector. The result is not clipped, so the
    statistics stay exact.
    """
    if level <= 0:
        raise ConfigError(f"model.noise_level must be > 0, got {level}")
    u = ((x.float() + 1.0) / 2.0).clamp_min(0.0)
    counts = torch.poisson(u / level, generator=generator)
    return (counts * level * 2.0 - 1.0).to(x.dtype)


def pixelate(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Downsample by ``factor`` with a nearest-neighbour filter and bring back to full size.

    Every ``factor``³ cell aligned with the block's origin takes the value of its first voxel.
    Sizes that are not multiples of ``factor`` keep a partial cell at the end.
    """
    if factor < 1:
        raise ConfigError(f"model.pixelate_factor must be >= 1, got {factor}")
    spatial = x.shape[2:]
    index = tuple(slice(None, None, factor) for _ in spatial)
    small = x[(slice(None), slice(None), *index)]
    up = F.interpolate(small, scale_factor=factor, mode="nearest")
    return up[(slice(None), slice(None), *(slice(0, s) for s in spatial))].contiguous()


def lattice_interpolation(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Trilinear interpolation through the voxels :func:`pixelate` keeps (every ``factor``-th,
    from the origin), back to ``x``'s size; the last ``factor - 1`` voxels copy the last sample.

    What a user would do with a pixelated block without a model, and the base that a
    residual depixelating generator corrects.
    """
    spatial = x.shape[2:]
    small = x[(slice(None), slice(None), *(slice(None, None, factor) for _ in spatial))]
    reach = [(s - 1) * factor + 1 for s in small.shape[2:]]
    up = F.interpolate(small.float(), size=reach, mode="trilinear", align_corners=True)
    pad = [p for s, r in zip(reversed(spatial), reversed(reach), strict=True) for p in (0, s - r)]
    return F.pad(up, pad, mode="replicate").to(x.dtype)


def keys_weights(t: float) -> tuple[float, float, float, float]:
    """Keys' cubic convolution (a = -1/2) weights of the samples at -1, 0, 1, 2 for a point
    at ``t`` in [0, 1): exact for quadratics, the kernel of bicubic resizing."""
    return (
        (-(t**3) + 2 * t**2 - t) / 2,
        (3 * t**3 - 5 * t**2 + 2) / 2,
        (-3 * t**3 + 4 * t**2 + t) / 2,
        (t**3 - t**2) / 2,
    )


def lattice_cubic(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Cubic convolution through the voxels :func:`pixelate` keeps, back to ``x``'s size.

    Separable, four samples per axis (edges replicated): within 0.3 dB of a prefiltered
    tricubic B-spline on the head CT, but local, so a block gives the same values as the
    whole scan away from its edges. The base that ``residual_base=cubic`` corrects.
    """
    spatial = x.shape[2:]
    out = x[(slice(None), slice(None), *(slice(None, None, factor) for _ in spatial))].float()
    for axis in range(2, x.ndim):
        n = out.shape[axis]
        padded = torch.cat(
            [out.narrow(axis, 0, 1), out, out.narrow(axis, n - 1, 1), out.narrow(axis, n - 1, 1)],
            dim=axis,
        )
        taps = [padded.narrow(axis, j, n) for j in range(4)]
        phases = [sum(w * tap for w, tap in zip(keys_weights(k / factor), taps, strict=True))
                  for k in range(factor)]  # fmt: skip
        out = torch.stack(phases, dim=axis + 1).flatten(axis, axis + 1)
        out = out.narrow(axis, 0, spatial[axis - 2])
    return out.to(x.dtype)


def median_filter(x: torch.Tensor, size: int = 5) -> torch.Tensor:
    """The median of each voxel's ``size``³ neighbourhood (edges replicated), per channel.

    The median commutes with any increasing intensity map, so on an equalised block it is
    the median filter of the same block in HU: the baseline a user would run on a noisy
    scan, and the base that a residual denoising generator corrects. Works through
    ``size``-voxel slabs along the first spatial axis, so memory stays a few block copies.
    """
    if size < 1 or size % 2 == 0:
        raise ConfigError(f"the median filter size must be odd and >= 1, got {size}")
    r = size // 2
    padded = F.pad(x.float(), (r,) * 6, mode="replicate")
    out = torch.empty_like(x, dtype=torch.float32)
    depth = x.shape[2]
    for start in range(0, depth, size):
        stop = min(start + size, depth)
        cubes = padded[:, :, start : stop + 2 * r].unfold(2, size, 1)
        cubes = cubes.unfold(3, size, 1).unfold(4, size, 1)
        out[:, :, start:stop] = cubes.flatten(-3).median(dim=-1).values
    return out.to(x.dtype)


def make_condition(
    task: str,
    x: torch.Tensor,
    *,
    noise_level: float,
    pixelate_factor: int = 2,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The condition of ``task`` for clean intensities ``x`` in [-1, 1]."""
    if task == "autoencode":
        return x.clone()
    if task == "denoise":
        return poisson_noise(x, noise_level, generator)
    if task == "depixelate":
        return pixelate(x, pixelate_factor)
    raise ConfigError(f"model.task must be one of {', '.join(TASKS)}, not {task!r}")
