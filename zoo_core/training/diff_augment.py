"""Differentiable augmentation of what the critic sees, for GANs trained on few images.

With a few dozen training images a discriminator soon memorises them: its scores for real
and generated images drift apart and the generator gets no useful gradient (Karras et al.
2020, ADA; Zhao et al. 2020, DiffAugment). Augmenting only the real images would teach the
generator to draw augmented images; augmenting every image the critic sees, real and
generated alike, with operations that let gradients through, leaves the generator's target
where it was while the critic can no longer memorise. ``train.diff_augment`` names them.

Filled areas (translation, cutout) take the background value: the bottom of the model's
value range, the air around a head.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from zoo_core.errors import ConfigError

#: Fraction of each side that translation shifts by at most and that cutout blanks.
TRANSLATION = 1 / 8
CUTOUT = 1 / 2
POLICIES = ("translation", "cutout", "flip")


def check_policies(policies: Sequence[str]) -> list[str]:
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        raise ConfigError(
            f"train.diff_augment: unknown {', '.join(map(repr, unknown))}; choose from "
            f"{', '.join(POLICIES)}."
        )
    return list(policies)


def _draw(high: int, n: int, generator: torch.Generator | None, device) -> list[int]:
    """``n`` integers in ``[0, high)``, one per item."""
    return torch.randint(0, high, (n,), generator=generator, device=device).tolist()


def translate(x: torch.Tensor, background: float, generator=None) -> torch.Tensor:
    """Shift each item by up to ``TRANSLATION`` of each side, independently per axis."""
    spatial = x.shape[2:]
    reach = [max(1, int(s * TRANSLATION)) for s in spatial]
    pad = [p for r in reversed(reach) for p in (r, r)]
    padded = F.pad(x, pad, value=background)
    offsets = [_draw(2 * r + 1, len(x), generator, x.device) for r in reach]
    items = []
    for i in range(len(x)):
        window = tuple(slice(o[i], o[i] + s) for o, s in zip(offsets, spatial, strict=True))
        items.append(padded[(i, slice(None), *window)])
    return torch.stack(items)


def cutout(x: torch.Tensor, background: float, generator=None) -> torch.Tensor:
    """Blank a box of ``CUTOUT`` of each side at a random place in each item."""
    spatial = x.shape[2:]
    sizes = [max(1, int(s * CUTOUT)) for s in spatial]
    starts = [
        _draw(s - c + 1, len(x), generator, x.device) for s, c in zip(spatial, sizes, strict=True)
    ]
    keep = torch.ones((len(x), 1, *spatial), device=x.device, dtype=x.dtype)
    for i in range(len(x)):
        box = tuple(slice(st[i], st[i] + c) for st, c in zip(starts, sizes, strict=True))
        keep[(i, slice(None), *box)] = 0
    return x * keep + background * (1 - keep)


def flip(x: torch.Tensor, generator=None) -> torch.Tensor:
    """Mirror half of the items along the last axis (left-right in a slice)."""
    mirrored = torch.rand(len(x), generator=generator, device=x.device) < 0.5
    shape = (-1,) + (1,) * (x.ndim - 1)
    return torch.where(mirrored.reshape(shape), x.flip(-1), x)


def diff_augment(
    x: torch.Tensor,
    policies: Sequence[str],
    background: float = -1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``x`` (N, C, *spatial) through each policy in order, drawn independently per item."""
    for policy in policies:
        if policy == "translation":
            x = translate(x, background, generator)
        elif policy == "cutout":
            x = cutout(x, background, generator)
        elif policy == "flip":
            x = flip(x, generator)
    return x
