"""FID and KID of generated images against held-out real ones, beside their floor.

With a few hundred images a distribution metric is mostly bias: FID between two halves of
the same real data is far from 0. So a figure on its own says little; the floor beside it
says what it can reach: the same metric between the training images and the held-out images,
at the same set sizes. A generator that drew new images from the training distribution
would score about the floor, and one that copied its training images would too: the
memorisation check (nearest training image of each sample) tells those apart.
"""

from __future__ import annotations

from typing import Any

import torch

from zoo_core.errors import ZooError


def held_out_distribution(
    fake: torch.Tensor,
    train: torch.Tensor,
    held_out: torch.Tensor,
    *,
    extractor: str | torch.nn.Module = "inception-fid",
    device: str = "cpu",
    batch_size: int = 32,
) -> dict[str, Any]:
    """FID/KID of ``fake`` vs ``held_out`` and the floor, ``train`` vs ``held_out``.

    All three are (N, C, H, W) in [0, 1]; ``extractor`` is a registered feature network's
    name (or the module itself). The generated set is cut to the training set's
    size (or the other way round), so that both figures come from sets of the same sizes.
    Returns the figures, their ratios to the floor and the set sizes.
    """
    from zoo_core.metrics.distribution import frechet_distance, kernel_inception_distance
    from zoo_core.metrics.features import extract_features

    n = min(len(fake), len(train))
    if n < 2 or len(held_out) < 2:
        raise ZooError(
            f"FID/KID need at least 2 images per set; got {len(fake)} generated, "
            f"{len(train)} training and {len(held_out)} held-out."
        )
    kw = {"batch_size": batch_size, "device": device}
    f_held = extract_features(held_out, extractor, **kw)
    f_fake = extract_features(fake[:n], extractor, **kw)
    f_train = extract_features(train[:n], extractor, **kw)
    fid, fid_floor = frechet_distance(f_held, f_fake), frechet_distance(f_held, f_train)
    (kid, kid_std), (kid_floor, kid_floor_std) = (
        kernel_inception_distance(f_held, f_fake),
        kernel_inception_distance(f_held, f_train),
    )
    return {
        "fid": fid,
        "fid_floor": fid_floor,
        "fid_over_floor": fid / fid_floor if fid_floor > 0 else float("inf"),
        "kid": kid,
        "kid_std": kid_std,
        "kid_floor": kid_floor,
        "kid_floor_std": kid_floor_std,
        "kid_over_floor": kid / kid_floor if kid_floor > 0 else float("inf"),
        "n_generated": n,
        "n_train": n,
        "n_held_out": len(held_out),
        "extractor": extractor if isinstance(extractor, str) else type(extractor).__name__,
    }
