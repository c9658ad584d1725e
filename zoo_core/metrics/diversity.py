"""Diversity of a generated set: mean MS-SSIM between pairs of its samples.

A collapsed generator repeats itself and scores near 1; a diverse one scores near the value
of pairs of real images, which is the number to compare with (Odena et al. 2017).
"""

from __future__ import annotations

import itertools

import torch

from zoo_core.errors import ZooError
from zoo_core.metrics.image import ms_ssim


def ms_ssim_diversity(
    samples: torch.Tensor,
    data_range: float,
    max_pairs: int = 500,
    seed: int = 0,
    batch_size: int = 64,
) -> float:
    """Mean MS-SSIM over all pairs of ``samples`` (N, C, *spatial), or ``max_pairs`` random ones."""
    samples = torch.as_tensor(samples).float()
    n = len(samples)
    if n < 2:
        raise ZooError("diversity needs at least 2 samples.")
    if n * (n - 1) // 2 <= max_pairs:
        pairs = torch.tensor(list(itertools.combinations(range(n), 2)))
    else:
        rng = torch.Generator().manual_seed(seed)
        i = torch.randint(0, n, (max_pairs,), generator=rng)
        j = (i + torch.randint(1, n, (max_pairs,), generator=rng)) % n  # j != i
        pairs = torch.stack([i, j], 1)
    values = [
        ms_ssim(samples[chunk[:, 0]], samples[chunk[:, 1]], data_range)
        for chunk in pairs.split(batch_size)
    ]
    return float(torch.cat(values).mean())
