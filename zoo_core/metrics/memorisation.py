"""Memorisation check: how close is each generated sample to its nearest training image?

A GAN that copies its training set scores well on FID and is useless for sharing data (the
whole point of synthetic medical images is that no real patient is in them). For every
generated sample we find the nearest training image, by RMS pixel distance (images in [0, 1])
or by distance between extractor features, and compare those distances with the typical
distance between a training image and its nearest *other* training image: generated samples
much closer than that are likely copies. The closest pairs are saved side by side as a PNG.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from zoo_core.errors import ZooError


def _flat(x: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(x).reshape(len(x), -1).float()


def nearest_neighbours(
    queries: torch.Tensor,
    references: torch.Tensor,
    *,
    exclude_self: bool = False,
    chunk: int = 256,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(distance, index) of each query's nearest reference, RMS over elements.

    Computed chunk by chunk (memory ~ chunk^2), exactly (no matrix-product shortcut, so a
    copy is at distance 0). ``exclude_self`` skips reference ``i`` for query ``i``.
    """
    q, r = _flat(queries), _flat(references)
    if q.shape[1] != r.shape[1]:
        raise ZooError(
            f"generated and training images differ in size ({tuple(queries.shape[1:])} vs "
            f"{tuple(references.shape[1:])}); resize them to the model's output size first."
        )
    best_d = torch.full((len(q),), math.inf)
    best_i = torch.zeros(len(q), dtype=torch.long)
    for qs in range(0, len(q), chunk):
        qc = q[qs : qs + chunk]
        for rs in range(0, len(r), chunk):
            d = torch.cdist(qc, r[rs : rs + chunk], compute_mode="donot_use_mm_for_euclid_dist")
            if exclude_self:
                rows = torch.arange(len(qc)) + qs - rs
                ok = (rows >= 0) & (rows < d.shape[1])
                d[torch.arange(len(qc))[ok], rows[ok]] = math.inf
            value, index = d.min(1)
            better = value < best_d[qs : qs + len(qc)]
            best_d[qs : qs + len(qc)][better] = value[better]
            best_i[qs : qs + len(qc)][better] = index[better] + rs
    return best_d / math.sqrt(q.shape[1]), best_i


def _preview(x: torch.Tensor) -> torch.Tensor:
    """A 2D picture of one item (C, *spatial): the middle slice of a volume."""
    return x[..., x.shape[-1] // 2] if x.ndim == 4 else x


def memorisation(
    fake: torch.Tensor,
    real: torch.Tensor,
    *,
    features: tuple[torch.Tensor, torch.Tensor] | None = None,
    top_k: int = 8,
    png: str | Path | None = None,
    max_real_pairs: int = 5000,
) -> dict[str, Any]:
    """Nearest-training-image distances of generated images in [0, 1].

    ``features`` = (fake_features, real_features) switches the distance to feature space
    (the same extractor as FID, say); the images are still what the PNG shows.
    Returns summary numbers, the ``top_k`` closest pairs and, with ``png``, writes them as a
    grid: each row a generated sample beside its nearest training image.
    """
    fake, real = torch.as_tensor(fake).float(), torch.as_tensor(real).float()
    if len(fake) == 0 or len(real) == 0:
        raise ZooError("memorisation needs generated and training images.")
    space = "features" if features is not None else "pixels"
    qf, rf = features if features is not None else (fake, real)
    dist, index = nearest_neighbours(qf, rf)
    result: dict[str, Any] = {
        "space": space,
        "nn_distance_min": float(dist.min()),
        "nn_distance_mean": float(dist.mean()),
        "nn_distance_median": float(dist.median()),
        "nn_index": index.tolist(),
        "nn_distance": dist.tolist(),
    }
    if 2 <= len(rf) <= max_real_pairs:
        real_d, _ = nearest_neighbours(rf, rf, exclude_self=True)
        median = float(real_d.median())
        result["real_nn_distance_median"] = median
        result["nn_ratio_min"] = float(dist.min()) / median if median > 0 else math.inf
    order = torch.argsort(dist)[:top_k]
    result["closest"] = [
        {"fake": int(i), "real": int(index[i]), "distance": float(dist[i])} for i in order
    ]
    if png is not None:
        from zoo_core.io import save_montage

        images, labels = [], []
        for pair in result["closest"]:
            images += [_preview(fake[pair["fake"]]), _preview(real[pair["real"]])]
            labels += [f"generated {pair['fake']}", f"real {pair['real']} d={pair['distance']:.3g}"]
        grid = torch.stack(images).numpy()
        save_montage(grid, Path(png), value_range=(0.0, 1.0), nrow=2, labels=labels)
        result["png"] = str(png)
    return result
