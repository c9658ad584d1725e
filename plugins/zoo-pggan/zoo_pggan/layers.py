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

    def upsampled(self, x: torch.Tensor) -> torch.Tensor:
        """``self(F.interpolate(x, scale_factor=2, mode="nearest"))`` for a 3x3 conv with
        padding 1, without making the up-sampled map (:func:`upsample_conv3x3`)."""
        if self.weight.shape[-1] != 3 or self.padding != 1:
            raise ValueError("upsampled() is for 3x3 convolutions with padding 1")
        return upsample_conv3x3(x, self.weight * self.scale, self.bias)


def upsample_conv3x3(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """A 3x3 convolution (padding 1) of the nearest-neighbour x2 up-sampling of ``x``, exactly.

    Output pixel (2i + a, 2j + b) sees input rows i - 1 + a, i + a and columns j - 1 + b,
    j + b only, through the 3x3 kernel's taps summed in pairs: a 2x2 kernel per phase (a, b).
    One convolution of ``x`` padded by 1 with the four phase kernels stacked (4 x out
    channels) gives every phase, 16 multiply-adds per input pixel and channel pair where the
    up-sampled convolution spends 36, and the 4x larger map is never written.
    """
    first, middle, last = weight.unbind(-2)
    rows = (torch.stack([first, middle + last], -2), torch.stack([first + middle, last], -2))
    phases = [
        torch.stack(pair, -1)
        for taps in rows
        for pair in (
            (taps[..., 0], taps[..., 1] + taps[..., 2]),
            (taps[..., 0] + taps[..., 1], taps[..., 2]),
        )
    ]
    out_channels = weight.shape[0]
    y = F.conv2d(F.pad(x, (1, 1, 1, 1)), torch.cat(phases), bias.repeat(4))
    height, width = x.shape[-2:]
    size = (x.shape[0], out_channels, 2 * height, 2 * width)
    out = torch.empty(size, dtype=y.dtype, device=y.device, memory_format=_memory_format(x))
    for phase in range(4):
        a, b = divmod(phase, 2)
        group = y[:, phase * out_channels : (phase + 1) * out_channels]
        out[:, :, a::2, b::2] = group[:, :, a : a + height, b : b + width]
    return out


def _memory_format(x: torch.Tensor) -> torch.memory_format:
    channels_last = x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last)
    return torch.channels_last if channels_last else torch.contiguous_format


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
