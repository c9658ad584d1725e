"""The layers of Karras et al.'s progressive-GAN recipe, which Beers et al. follow.

Equalised learning rate: weights are drawn from N(0, 1) and scaled at run time by He's
constant, so Adam's per-parameter step sizes are the same for every layer whatever its fan-in
(Karras et al. 2018, sec. 4.1). Pixel norm keeps generator feature magnitudes from spiralling
(sec. 4.2). Minibatch standard deviation gives the critic a view of the batch's variety (sec. 3).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class EqualizedConv2d(nn.Module):
    """A conv whose weight is scaled by ``gain / sqrt(fan_in)`` at every call (or, with
    ``equalized=False``, an ordinary He-initialised conv)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        padding: int = 0,
        gain: float = math.sqrt(2.0),
        equalized: bool = True,
    ) -> None:
        super().__init__()
        fan_in = in_channels * kernel_size * kernel_size
        he = gain / math.sqrt(fan_in)
        self.equalized = equalized
        self.scale = he if equalized else 1.0
        self.padding = padding
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        if not equalized:
            with torch.no_grad():
                self.weight.mul_(he)
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)


class EqualizedLinear(nn.Module):
    """A dense layer with the same run-time weight scaling as :class:`EqualizedConv2d`."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        gain: float = math.sqrt(2.0),
        equalized: bool = True,
    ) -> None:
        super().__init__()
        he = gain / math.sqrt(in_features)
        self.scale = he if equalized else 1.0
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        if not equalized:
            with torch.no_grad():
                self.weight.mul_(he)
        self.bias = nn.Parameter(torch.zeros(out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias)


class PixelNorm(nn.Module):
    """Normalise each pixel's feature vector to unit length (Karras et al., eq. in sec. 4.2)."""

    def __init__(self, enabled: bool = True, eps: float = 1e-8) -> None:
        super().__init__()
        self.enabled = enabled
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.enabled:
            return x
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + self.eps)


class MinibatchStdDev(nn.Module):
    """Append one feature map: the mean over features and pixels of the per-group std.

    Groups of ``group_size`` samples (Karras et al.'s released code uses 4); a batch that the
    group size does not divide uses the whole batch as one group.
    """

    def __init__(self, group_size: int = 4) -> None:
        super().__init__()
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        group = min(self.group_size, n)
        if n % group:
            group = n
        y = x.reshape(group, -1, c, h, w)
        y = (y - y.mean(dim=0, keepdim=True)).pow(2).mean(dim=0)
        y = (y + 1e-8).sqrt().mean(dim=(1, 2, 3))  # one value per sub-group
        y = y.reshape(-1, 1, 1, 1).repeat(group, 1, h, w)
        return torch.cat([x, y], dim=1)
