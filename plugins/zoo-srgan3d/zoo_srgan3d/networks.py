"""The generator and discriminator of Sánchez & Vilaplana (2017), section 2, in 3D.

Generator: a 3x3x3 input convolution, ``residual_blocks`` blocks of conv-BN-LeakyReLU-conv-BN
with an identity skip, SRGAN's long skip (conv-BN added to the features before the blocks),
then the paper's up-sampling phase: convolution + LeakyReLU, tile replication (every voxel
repeated ``scale``x per axis) and a last convolution + activation that gives the image.

Discriminator: 8 convolutions of 3x3x3 kernels whose width doubles from 64 to 512, a strided
convolution wherever the resolution is reduced (SRGAN's layout: k3n64s1, k3n64s2, k3n128s1,
k3n128s2, ..., k3n512s2), two dense layers and a sigmoid, so D(x) is a probability.
"""

from __future__ import annotations

import torch
from torch import nn


def conv3(in_channels: int, out_channels: int, stride: int = 1, bias: bool = True) -> nn.Conv3d:
    """A 3x3x3 convolution that keeps the size at stride 1 (the paper's only kernel size)."""
    return nn.Conv3d(in_channels, out_channels, 3, stride=stride, padding=1, bias=bias)


class ResidualBlock(nn.Module):
    """conv - BN - LeakyReLU - conv - BN, added to the block's input."""

    def __init__(self, filters: int, slope: float):
        super().__init__()
        self.body = nn.Sequential(
            conv3(filters, filters, bias=False),
            nn.BatchNorm3d(filters),
            nn.LeakyReLU(slope),
            conv3(filters, filters, bias=False),
            nn.BatchNorm3d(filters),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class TileReplication(nn.Module):
    """Repeat every voxel ``scale`` times along each spatial axis (nearest-neighbour tiling).

    For an integer factor, nearest interpolation is exactly ``repeat_interleave`` on each
    axis, but one fused kernel instead of three copies.
    """

    def __init__(self, scale: int):
        super().__init__()
        self.scale = int(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.interpolate(x, scale_factor=self.scale, mode="nearest")

    def extra_repr(self) -> str:
        return f"scale={self.scale}"


class Generator(nn.Module):
    """Low-resolution volume (N, C, d, h, w) -> (N, C, s*d, s*h, s*w) in [-1, 1].

    ``residual="trilinear"`` (not in the paper) adds the trilinear up-sampling of the input to
    the last convolution's output and drops the tanh: the network then learns only the detail
    that interpolation misses, which holds on scans of other contrasts and intensity scales.
    """

    def __init__(
        self,
        channels: int,
        filters: int,
        blocks: int,
        scale: int,
        slope: float,
        residual: str = "none",
    ):
        super().__init__()
        self.scale = int(scale)
        self.residual = residual
        self.head = nn.Sequential(conv3(channels, filters), nn.LeakyReLU(slope))
        self.blocks = nn.Sequential(*[ResidualBlock(filters, slope) for _ in range(blocks)])
        self.trunk_tail = nn.Sequential(
            conv3(filters, filters, bias=False), nn.BatchNorm3d(filters)
        )
        self.upsample = nn.Sequential(
            conv3(filters, filters),
            nn.LeakyReLU(slope),
            TileReplication(scale),
            conv3(filters, channels),
            nn.Tanh() if residual == "none" else nn.Identity(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.head(x)
        features = features + self.trunk_tail(self.blocks(features))
        out = self.upsample(features)
        if self.residual == "trilinear":
            base = nn.functional.interpolate(
                x, scale_factor=self.scale, mode="trilinear", align_corners=False
            )
            out = out + base.to(out.dtype)
        return out


def discriminator_widths(first: int, layers: int) -> list[tuple[int, int]]:
    """(filters, stride) of each conv layer: width doubles every second layer, and the layer
    before each doubling (and the last) is strided, as in SRGAN's discriminator."""
    return [(first * 2 ** (i // 2), 2 if i % 2 else 1) for i in range(layers)]


class Discriminator(nn.Module):
    """(N, C, P, P, P) high-resolution patch -> (N, 1) probability of being real."""

    def __init__(
        self, channels: int, patch_size: int, filters: int, layers: int, dense: int, slope: float
    ):
        super().__init__()
        convs: list[nn.Module] = []
        in_channels, size = channels, patch_size
        for i, (width, stride) in enumerate(discriminator_widths(filters, layers)):
            # SRGAN: no batch norm after the first convolution.
            convs.append(conv3(in_channels, width, stride, bias=i == 0))
            if i > 0:
                convs.append(nn.BatchNorm3d(width))
            convs.append(nn.LeakyReLU(slope))
            in_channels, size = width, (size - 1) // stride + 1
        self.features = nn.Sequential(*convs)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_channels * size**3, dense),
            nn.LeakyReLU(slope),
            nn.Linear(dense, 1),
            nn.Sigmoid(),
        )
        self.patch_size = patch_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[2:]) != (self.patch_size,) * 3:
            from zoo_core.plugin_api import ZooError

            raise ZooError(
                f"the srgan3d discriminator judges {self.patch_size}^3 patches (its dense layers "
                f"are sized for model.patch_size), not {tuple(x.shape[2:])}; set "
                "data.spatial_size to model.patch_size on every axis."
            )
        return self.classifier(self.features(x))
