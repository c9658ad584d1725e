"""The gradient-consistency loss of Hiasa et al. (2018) for cross-modality synthesis.

Gradient correlation GC(A, B) = 1/2 (NCC(dA/dx, dB/dx) + NCC(dA/dy, dB/dy)), with Sobel
derivatives and normalised cross-correlation per image. The loss 1 - GC rewards translations
whose edges (bone and organ boundaries) lie where the input's lie, which the cycle loss alone
does not enforce: it only asks that the way back is possible.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def sobel(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Horizontal and vertical Sobel derivatives of ``(N, C, H, W)``, channel by channel."""
    channels = x.shape[1]
    kx = _SOBEL_X.to(x).view(1, 1, 3, 3).repeat(channels, 1, 1, 1)
    ky = kx.transpose(2, 3)
    padded = F.pad(x, (1, 1, 1, 1), mode="replicate")
    return F.conv2d(padded, kx, groups=channels), F.conv2d(padded, ky, groups=channels)


def ncc(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Normalised cross-correlation of each sample's values, ``(N,)``, in [-1, 1]."""
    a = a.flatten(1) - a.flatten(1).mean(1, keepdim=True)
    b = b.flatten(1) - b.flatten(1).mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)


def gradient_correlation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """GC per sample, ``(N,)``: 1 for images with proportional gradients, -1 for opposite."""
    if a.ndim != 4 or b.ndim != 4:
        raise ValueError("gradient consistency is defined for 2D batches (N, C, H, W)")
    ax, ay = sobel(a.float())
    bx, by = sobel(b.float())
    return 0.5 * (ncc(ax, bx) + ncc(ay, by))


class GradientConsistency:
    """``term(fake, source)`` = mean over the batch of ``1 - GC(fake, source)``."""

    def __call__(self, fake: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        return (1 - gradient_correlation(fake, source)).mean()


def gradient_consistency() -> GradientConsistency:
    return GradientConsistency()
