"""Strided-convolution stacks in the style of Radford et al. (2016), for 2D or 3D images.

A generator that grows a 4^d seed by transposed convolutions (kernel 4, stride 2) and an
encoder that shrinks an image to 4^d by strided convolutions are the trunk of DCGAN and of
the families built on it (conditional GAN, ACGAN, InfoGAN, WGAN): they differ only in what
goes in (noise, labels, codes) and which heads sit on the encoder, so the trunk lives here.
"""

from __future__ import annotations

import math

import torch
from torch import nn

NORMS = ("batch", "instance", "layer", "none")


def _conv(spatial_dims: int, transposed: bool = False) -> type[nn.Module]:
    if spatial_dims not in (2, 3):
        raise ValueError(f"spatial_dims must be 2 or 3, not {spatial_dims}")
    if transposed:
        return nn.ConvTranspose2d if spatial_dims == 2 else nn.ConvTranspose3d
    return nn.Conv2d if spatial_dims == 2 else nn.Conv3d


def make_norm(norm: str, channels: int, spatial_dims: int = 2) -> nn.Module:
    """A normalisation layer by name.

    ``layer`` is GroupNorm with one group (layer norm over C and space), the choice of
    Gulrajani et al. for WGAN-GP critics, where batch norm would couple the samples whose
    gradient norms the penalty constrains; ``none`` returns an identity.
    """
    if norm == "batch":
        return (nn.BatchNorm2d if spatial_dims == 2 else nn.BatchNorm3d)(channels)
    if norm == "instance":
        return (nn.InstanceNorm2d if spatial_dims == 2 else nn.InstanceNorm3d)(channels)
    if norm == "layer":
        return nn.GroupNorm(1, channels)
    if norm == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of {', '.join(NORMS)}, not {norm!r}")


def up_block(
    in_channels: int, out_channels: int, norm: str = "batch", spatial_dims: int = 2
) -> nn.Sequential:
    """Transposed conv (kernel 4, stride 2, padding 1) doubling the size, norm, ReLU."""
    conv = _conv(spatial_dims, transposed=True)
    return nn.Sequential(
        conv(in_channels, out_channels, 4, 2, 1, bias=norm == "none"),
        make_norm(norm, out_channels, spatial_dims),
        nn.ReLU(inplace=True),
    )


def down_block(
    in_channels: int,
    out_channels: int,
    norm: str = "batch",
    spatial_dims: int = 2,
    negative_slope: float = 0.2,
) -> nn.Sequential:
    """Strided conv (kernel 4, stride 2, padding 1) halving the size, norm, LeakyReLU(0.2)."""
    conv = _conv(spatial_dims)
    return nn.Sequential(
        conv(in_channels, out_channels, 4, 2, 1, bias=norm == "none"),
        make_norm(norm, out_channels, spatial_dims),
        nn.LeakyReLU(negative_slope, inplace=True),
    )


def _check_resolution(resolution: int) -> int:
    steps = round(math.log2(resolution)) - 2
    if resolution < 8 or 2 ** (steps + 2) != resolution:
        raise ValueError(f"resolution must be a power of two >= 8, not {resolution}")
    return steps


class ConvGenerator(nn.Module):
    """Vector -> image: project to ``4^d`` then double the size ``log2(resolution) - 2`` times.

    Widths halve at each doubling from ``base_filters * 2^(steps-1)`` at 4^d down to
    ``base_filters`` before the last layer: Radford et al.'s 64x64 generator is
    ``ConvGenerator(100, 3, 64, base_filters=128)`` (1024 -> 512 -> 256 -> 128 -> 3).
    The output goes through tanh, so images lie in [-1, 1].
    """

    def __init__(
        self,
        in_features: int,
        out_channels: int,
        resolution: int,
        base_filters: int = 64,
        norm: str = "batch",
        spatial_dims: int = 2,
    ) -> None:
        super().__init__()
        steps = _check_resolution(resolution)
        self.in_features = in_features
        self.spatial_dims = spatial_dims
        width = base_filters * 2 ** (steps - 1)
        tconv = _conv(spatial_dims, transposed=True)
        layers: list[nn.Module] = [
            tconv(in_features, width, 4, 1, 0, bias=norm == "none"),
            make_norm(norm, width, spatial_dims),
            nn.ReLU(inplace=True),
        ]
        for _ in range(steps - 1):
            layers.append(up_block(width, width // 2, norm, spatial_dims))
            width //= 2
        layers += [tconv(width, out_channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(init_normal)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.reshape(z.shape[0], -1, *([1] * self.spatial_dims)))


class ConvEncoder(nn.Module):
    """Image -> ``(N, out_channels, 4, 4[, 4])`` feature map, the trunk of a discriminator.

    The first layer has no normalisation (Radford et al.); widths double from
    ``base_filters``. Heads (a real/fake logit, a class head, a Q head) sit on the output.
    """

    def __init__(
        self,
        in_channels: int,
        resolution: int,
        base_filters: int = 64,
        norm: str = "batch",
        spatial_dims: int = 2,
    ) -> None:
        super().__init__()
        steps = _check_resolution(resolution)
        layers: list[nn.Module] = [down_block(in_channels, base_filters, "none", spatial_dims)]
        width = base_filters
        for _ in range(steps - 1):
            layers.append(down_block(width, width * 2, norm, spatial_dims))
            width *= 2
        self.net = nn.Sequential(*layers)
        self.out_channels = width
        self.apply(init_normal)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ConvCritic(nn.Module):
    """A :class:`ConvEncoder` trunk and a 4^d valid convolution to one score per image.

    DCGAN's discriminator (a logit; the ``bce`` loss applies the sigmoid) and WGAN's critic
    (an unbounded score) are this network; families with more heads (ACGAN's classes,
    InfoGAN's Q) put them on a :class:`ConvEncoder` of their own.
    """

    def __init__(
        self,
        in_channels: int,
        resolution: int,
        base_filters: int = 64,
        norm: str = "batch",
        spatial_dims: int = 2,
    ) -> None:
        super().__init__()
        self.trunk = ConvEncoder(in_channels, resolution, base_filters, norm, spatial_dims)
        self.head = _conv(spatial_dims)(self.trunk.out_channels, 1, 4, 1, 0)
        init_normal(self.head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x)).flatten(1)


def init_normal(module: nn.Module, std: float = 0.02) -> None:
    """Radford et al.'s initialisation: conv weights N(0, 0.02), norm scales N(1, 0.02)."""
    convs = (nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.ConvTranspose3d, nn.Linear)
    norms = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.GroupNorm)
    if isinstance(module, convs):
        nn.init.normal_(module.weight, 0.0, std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, norms) and module.affine:
        nn.init.normal_(module.weight, 1.0, std)
        nn.init.zeros_(module.bias)
