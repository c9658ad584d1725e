"""G(y, z) and D(x, y) of Krishna & Mueller (section 2.1).

Both are built from the blocks the paper names: convolutions with kernel 4 and stride 2 (no
pooling), BatchNorm and LeakyReLU (Radford et al.'s building blocks, from zoo_core.layers).
G is an encoder-decoder with skip connections (the U-Net shape of Wang & Gupta / Mao et al.);
the noise code z is fully connected to a map that is reshaped and stacked with the one-hot
segmentation map as G's first layer input. D scores a CT slice together with its map.
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

from zoo_core.plugin_api import down_block, init_normal, make_norm


def _widths(first: int, cap: int, count: int) -> list[int]:
    return [min(first * 2**i, cap) for i in range(count)]


def up_block(in_channels: int, out_channels: int, negative_slope: float) -> nn.Sequential:
    """Transposed conv (kernel 4, stride 2) - BatchNorm - LeakyReLU: the decoder's block."""
    return nn.Sequential(
        nn.ConvTranspose2d(in_channels, out_channels, 4, 2, 1, bias=False),
        make_norm("batch", out_channels),
        nn.LeakyReLU(negative_slope, inplace=True),
    )


class MapToCT(nn.Module):
    """Encoder-decoder with skips: (one-hot map, z) -> CT slice in [-1, 1] (tanh)."""

    def __init__(
        self,
        num_classes: int,
        resolution: int,
        latent_dim: int = 200,
        noise_side: int = 0,
        filters: int = 64,
        max_filters: int = 512,
        depth: int = 8,
        negative_slope: float = 0.2,
    ) -> None:
        super().__init__()
        if resolution % 2**depth or resolution // 2**depth < 2:
            raise ValueError(
                f"model.g_depth={depth} halves {resolution} to "
                f"{resolution / 2**depth:g}; it must leave a side of at least 2 (BatchNorm "
                "with batch 1 needs more than one value per channel)."
            )
        self.resolution = resolution
        self.latent_dim = latent_dim
        self.noise_side = noise_side or resolution
        self.project = nn.Linear(latent_dim, self.noise_side**2)
        widths = _widths(filters, max_filters, depth)
        encoder: list[nn.Module] = [down_block(num_classes + 1, widths[0], "none")]
        for w_in, w_out in itertools.pairwise(widths):
            encoder.append(down_block(w_in, w_out, "batch", negative_slope=negative_slope))
        self.encoder = nn.ModuleList(encoder)
        decoder: list[nn.Module] = []
        for k in range(depth - 1, 0, -1):  # from the bottleneck up to half the resolution
            w_in = widths[k] if k == depth - 1 else 2 * widths[k]
            decoder.append(up_block(w_in, widths[k - 1], negative_slope))
        self.decoder = nn.ModuleList(decoder)
        last_in = 2 * widths[0] if depth > 1 else widths[0]
        self.out = nn.Sequential(nn.ConvTranspose2d(last_in, 1, 4, 2, 1), nn.Tanh())
        self.apply(init_normal)

    def noise_map(self, z: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """z -> fully connected -> reshaped (N, 1, s, s) -> resized to the slice."""
        side = self.noise_side
        noise = self.project(z).view(z.shape[0], 1, side, side)
        if (side, side) != tuple(size):
            noise = F.interpolate(noise, size=size, mode="bilinear", align_corners=False)
        return noise

    def forward(self, onehot: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        x = torch.cat([onehot, self.noise_map(z, onehot.shape[-2:])], dim=1)
        skips = []
        for block in self.encoder:
            x = block(x)
            skips.append(x)
        skips.pop()  # the bottleneck is x itself
        for block in self.decoder:
            x = torch.cat([block(x), skips.pop()], dim=1)
        return self.out(x)


class MapCritic(nn.Module):
    """D(x, y): stride-2 blocks down to 4x4, then one 4x4 convolution to a logit.

    The paper's sigmoid output is folded into the BCE loss (zoo_core's ``bce`` works on
    logits, which is the same function computed stably); :meth:`probability` applies it.
    """

    def __init__(
        self,
        num_classes: int,
        resolution: int,
        filters: int = 64,
        max_filters: int = 512,
        negative_slope: float = 0.2,
    ) -> None:
        super().__init__()
        steps = resolution.bit_length() - 3  # resolution -> 4
        if resolution < 8 or 2 ** (steps + 2) != resolution:
            raise ValueError(f"model.resolution must be a power of two >= 8, not {resolution}")
        widths = _widths(filters, max_filters, steps)
        layers: list[nn.Module] = [down_block(1 + num_classes, widths[0], "none")]
        for w_in, w_out in itertools.pairwise(widths):
            layers.append(down_block(w_in, w_out, "batch", negative_slope=negative_slope))
        layers.append(nn.Conv2d(widths[-1], 1, 4, 1, 0))
        self.net = nn.Sequential(*layers)
        self.apply(init_normal)

    def forward(self, image: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([image, onehot], dim=1)).flatten(1)

    def probability(self, image: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self(image, onehot))
