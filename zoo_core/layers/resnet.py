"""Residual blocks and the ResNet generator of Johnson et al. (2016) used by CycleGAN.

The generator is: reflection-padded 7x7 conv, ``n_down`` stride-2 convs, ``n_blocks``
residual blocks, ``n_down`` transposed convs, 7x7 conv, tanh. Zhu et al. use 9 blocks for
256x256 images and 6 for 128x128, 64 filters, instance norm.
"""

from __future__ import annotations

import torch
from torch import nn

from zoo_core.layers.conv import _conv, make_norm


def _pad(spatial_dims: int, size: int) -> nn.Module:
    return (nn.ReflectionPad2d if spatial_dims == 2 else nn.ReflectionPad3d)(size)


class ResnetBlock(nn.Module):
    """``x + conv-norm-ReLU-conv-norm(x)`` with reflection padding (keeps the size)."""

    def __init__(
        self, channels: int, norm: str = "instance", dropout: float = 0.0, spatial_dims: int = 2
    ) -> None:
        super().__init__()
        conv = _conv(spatial_dims)
        bias = norm == "instance" or norm == "none"
        layers: list[nn.Module] = [
            _pad(spatial_dims, 1),
            conv(channels, channels, 3, bias=bias),
            make_norm(norm, channels, spatial_dims),
            nn.ReLU(inplace=True),
        ]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers += [
            _pad(spatial_dims, 1),
            conv(channels, channels, 3, bias=bias),
            make_norm(norm, channels, spatial_dims),
        ]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """Image -> image of the same size; the input size must be a multiple of ``2^n_down``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        base_filters: int = 64,
        n_blocks: int = 9,
        n_down: int = 2,
        norm: str = "instance",
        dropout: float = 0.0,
        spatial_dims: int = 2,
    ) -> None:
        super().__init__()
        conv = _conv(spatial_dims)
        tconv = _conv(spatial_dims, transposed=True)
        bias = norm == "instance" or norm == "none"
        layers: list[nn.Module] = [
            _pad(spatial_dims, 3),
            conv(in_channels, base_filters, 7, bias=bias),
            make_norm(norm, base_filters, spatial_dims),
            nn.ReLU(inplace=True),
        ]
        width = base_filters
        for _ in range(n_down):
            layers += [
                conv(width, width * 2, 3, stride=2, padding=1, bias=bias),
                make_norm(norm, width * 2, spatial_dims),
                nn.ReLU(inplace=True),
            ]
            width *= 2
        layers += [ResnetBlock(width, norm, dropout, spatial_dims) for _ in range(n_blocks)]
        for _ in range(n_down):
            layers += [
                tconv(width, width // 2, 3, stride=2, padding=1, output_padding=1, bias=bias),
                make_norm(norm, width // 2, spatial_dims),
                nn.ReLU(inplace=True),
            ]
            width //= 2
        layers += [_pad(spatial_dims, 3), conv(width, out_channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.multiple = 2**n_down
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
                nn.init.normal_(module.weight, 0.0, 0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if any(s % self.multiple for s in x.shape[2:]):
            raise ValueError(
                f"ResnetGenerator input size {tuple(x.shape[2:])} must be a multiple of "
                f"{self.multiple}"
            )
        return self.net(x)
