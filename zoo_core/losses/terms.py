"""Pixel-space loss terms: L1, L2, total variation and cycle consistency.

Each is called as ``term(fake, target)`` (``tv`` ignores the target) and returns a scalar;
they work for 2D (N,C,H,W) and 3D (N,C,D,H,W) images alike. The pixel-wise ones (``l1``,
``l2``) also take ``weight``: a per-pixel weight broadcastable to ``fake`` (a dataset's
``voxel_weight``, e.g. to measure error in physical units), giving the weighted mean.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def _weighted_mean(error: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    if weight is None:
        return error.mean()
    weight = weight.float().expand_as(error)
    return (error * weight).sum() / weight.sum().clamp_min(1e-12)


class L1Loss:
    """Mean absolute error, e.g. pix2pix's and Mangalagiri et al.'s pixel-wise L1."""

    accepts_weight = True

    def __call__(
        self, fake: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        return _weighted_mean((fake.float() - target.float()).abs(), weight)


class L2Loss:
    """Mean squared error (SRGAN's pixel-wise MSE)."""

    accepts_weight = True

    def __call__(
        self, fake: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        return _weighted_mean((fake.float() - target.float()).square(), weight)


class TotalVariation:
    """Total variation of ``fake``: differences between neighbours along every spatial axis.

    ``power=2`` squares the differences as in Krishna & Mueller eq. (5); ``power=1`` is the
    anisotropic L1 form. ``reduction="mean"`` averages each axis's differences (independent of
    image size) and sums over axes; ``"sum"`` sums them per image and averages over the batch,
    which is eq. (5) literally.
    """

    def __init__(self, power: int = 2, reduction: str = "mean"):
        if power not in (1, 2):
            raise ValueError(f"tv power must be 1 or 2, not {power}")
        if reduction not in ("mean", "sum"):
            raise ValueError(f"tv reduction must be 'mean' or 'sum', not {reduction!r}")
        self.power = power
        self.reduction = reduction

    def __call__(self, fake: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        x = fake.float()
        total = x.new_zeros(())
        for axis in range(2, x.ndim):
            if x.shape[axis] < 2:  # no neighbours along a singleton axis
                continue
            diff = x.diff(dim=axis).abs()
            if self.power == 2:
                diff = diff**2
            if self.reduction == "mean":
                total = total + diff.mean()
            else:
                total = total + diff.flatten(1).sum(1).mean()
        return total


class CycleConsistency:
    """Cycle-consistency loss of CycleGAN: L1 between reconstructions and originals.

    Call it with one ``(reconstructed, original)`` pair, or with sequences of them (both
    directions, A->B->A and B->A->B), whose L1 losses are summed. The generic trainer cannot
    make reconstructions, so a CycleGAN trainer passes them via ``GANTrainer.term_inputs``.
    """

    #: The default trainer must not feed (fake, target) to this term: see term_inputs.
    needs_reconstruction = True

    def __call__(
        self,
        reconstructed: torch.Tensor | Sequence[torch.Tensor],
        original: torch.Tensor | Sequence[torch.Tensor],
    ) -> torch.Tensor:
        if isinstance(reconstructed, torch.Tensor):
            reconstructed, original = [reconstructed], [original]
        if len(reconstructed) != len(original):
            raise ValueError("cycle: as many reconstructions as originals are needed")
        pairs = zip(reconstructed, original, strict=True)
        losses = [F.l1_loss(r.float(), o.float()) for r, o in pairs]
        return torch.stack(losses).sum()


def l1() -> L1Loss:
    return L1Loss()


def l2() -> L2Loss:
    return L2Loss()


def tv(power: int = 2, reduction: str = "mean") -> TotalVariation:
    return TotalVariation(power, reduction)


def cycle() -> CycleConsistency:
    return CycleConsistency()
