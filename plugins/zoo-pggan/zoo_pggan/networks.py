"""Generator and critic of the progressive GAN, built whole and run up to a ``level``.

Level 0 is the start resolution (4x4); level ``k`` is ``4 * 2**k``. Every block up to the
final resolution exists from construction, so the state dict never changes shape; ``forward``
takes the level being trained and the fade-in weight ``alpha`` and only runs (and so only
trains) the blocks up to that level. While a level fades in, the output is
``(1 - alpha) * upsample(toRGB_{k-1}(h_{k-1})) + alpha * toRGB_k(block_k(h_{k-1}))`` in the
generator and the mirror image, with average pooling, in the critic (Beers et al., sec. 3).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from zoo_pggan.layers import EqualizedConv2d, EqualizedLinear, MinibatchStdDev, PixelNorm
from zoo_pggan.schedule import pairs


def resolutions(start: int, final: int) -> list[int]:
    """The resolutions trained in turn, e.g. 4, 8, ..., 512."""
    if start < 4 or final < start or start & (start - 1) or final & (final - 1):
        raise ValueError(
            f"start_resolution ({start}) and max_resolution ({final}) must be powers of two "
            "with 4 <= start <= max."
        )
    return [start * 2**k for k in range(int(math.log2(final // start)) + 1)]


def filters_for(resolution: int, base: int, filters_at: Any) -> int:
    """``base`` filters, or those of the last ``[resolution, filters]`` pair not above it."""
    chosen = base
    for key, value in pairs(filters_at, "model.filters_at"):
        if resolution >= key:
            chosen = value
    return chosen


class _Act(nn.Module):
    """LeakyReLU(0.2) then optional pixel norm: what follows every conv of the generator."""

    def __init__(self, pixel_norm: bool) -> None:
        super().__init__()
        self.norm = PixelNorm(pixel_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(F.leaky_relu(x, 0.2))


class Generator(nn.Module):
    """Latent vector -> image + segmentation channels at the current level's resolution."""

    def __init__(
        self,
        latent_dim: int,
        channels: int,
        filters: list[int],
        pixel_norm: bool = True,
        equalized: bool = True,
        output_activation: str = "linear",
    ) -> None:
        super().__init__()
        if output_activation not in ("linear", "tanh"):
            raise ValueError(f"output_activation must be linear or tanh, not {output_activation!r}")
        self.latent_dim = latent_dim
        self.output_activation = output_activation
        self.start_size = 4
        f0 = filters[0]
        self.input_norm = PixelNorm(pixel_norm)
        # The first "pair of convolutional layers": a dense 4x4 projection (Karras's 4x4 conv
        # on a 1x1 input) and a 3x3 conv.
        self.dense = EqualizedLinear(
            latent_dim, f0 * 16, gain=math.sqrt(2) / 4, equalized=equalized
        )
        self.blocks = nn.ModuleList()
        self.blocks.append(
            nn.ModuleDict(
                {
                    "act0": _Act(pixel_norm),
                    "conv1": EqualizedConv2d(f0, f0, 3, 1, equalized=equalized),
                    "act1": _Act(pixel_norm),
                }
            )
        )
        for k in range(1, len(filters)):
            self.blocks.append(
                nn.ModuleDict(
                    {
                        "conv0": EqualizedConv2d(
                            filters[k - 1], filters[k], 3, 1, equalized=equalized
                        ),
                        "act0": _Act(pixel_norm),
                        "conv1": EqualizedConv2d(filters[k], filters[k], 3, 1, equalized=equalized),
                        "act1": _Act(pixel_norm),
                    }
                )
            )
        self.to_rgb = nn.ModuleList(
            EqualizedConv2d(f, channels, 1, 0, gain=1.0, equalized=equalized) for f in filters
        )

    @property
    def max_level(self) -> int:
        return len(self.blocks) - 1

    def block(self, k: int, h: torch.Tensor) -> torch.Tensor:
        b = self.blocks[k]
        if k == 0:
            h = self.dense(self.input_norm(h)).view(
                h.shape[0], -1, self.start_size, self.start_size
            )
            h = b["act0"](h)
        else:
            h = b["act0"](b["conv0"].upsampled(h))  # = conv0 of the x2 nearest up-sampling
        return b["act1"](b["conv1"](h))

    def _out(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x) if self.output_activation == "tanh" else x

    def forward(self, z: torch.Tensor, level: int, alpha: float = 1.0) -> torch.Tensor:
        h = z
        for k in range(level):
            h = self.block(k, h)
        new = self.to_rgb[level](self.block(level, h))
        if level == 0 or alpha >= 1.0:
            return self._out(new)
        old = F.interpolate(self.to_rgb[level - 1](h), scale_factor=2.0, mode="nearest")
        return self._out(torch.lerp(old, new, float(alpha)))

    def active_parameters(self, level: int, alpha: float) -> list[nn.Parameter]:
        """The parameters a forward at (level, alpha) uses, so that each gets a gradient."""
        params = list(self.dense.parameters())
        for k in range(level + 1):
            params += list(self.blocks[k].parameters())
        params += list(self.to_rgb[level].parameters())
        if level > 0 and alpha < 1.0:
            params += list(self.to_rgb[level - 1].parameters())
        return params


class Discriminator(nn.Module):
    """Image (+ segmentation) channels at a level's resolution -> one Wasserstein score.

    With ``out_features=latent_dim`` and no minibatch std this is the latent encoder: "the
    same network architecture as the discriminator ... terminating in a 128-vector".
    """

    def __init__(
        self,
        channels: int,
        filters: list[int],
        out_features: int = 1,
        minibatch_std: bool = True,
        group_size: int = 4,
        equalized: bool = True,
    ) -> None:
        super().__init__()
        self.from_rgb = nn.ModuleList(
            EqualizedConv2d(channels, f, 1, 0, equalized=equalized) for f in filters
        )
        f0 = filters[0]
        self.mbstd = MinibatchStdDev(group_size) if minibatch_std else None
        extra = 1 if minibatch_std else 0
        self.blocks = nn.ModuleList()
        self.blocks.append(
            nn.ModuleDict(
                {
                    "conv0": EqualizedConv2d(f0 + extra, f0, 3, 1, equalized=equalized),
                    "conv1": EqualizedConv2d(f0, f0, 4, 0, equalized=equalized),
                    "dense": EqualizedLinear(f0, out_features, gain=1.0, equalized=equalized),
                }
            )
        )
        for k in range(1, len(filters)):
            self.blocks.append(
                nn.ModuleDict(
                    {
                        "conv0": EqualizedConv2d(filters[k], filters[k], 3, 1, equalized=equalized),
                        "conv1": EqualizedConv2d(
                            filters[k], filters[k - 1], 3, 1, equalized=equalized
                        ),
                    }
                )
            )

    @property
    def max_level(self) -> int:
        return len(self.blocks) - 1

    def block(self, k: int, h: torch.Tensor) -> torch.Tensor:
        b = self.blocks[k]
        if k == 0:
            if self.mbstd is not None:
                h = self.mbstd(h)
            h = F.leaky_relu(b["conv0"](h), 0.2)
            h = F.leaky_relu(b["conv1"](h), 0.2).flatten(1)
            return b["dense"](h)
        h = F.leaky_relu(b["conv0"](h), 0.2)
        h = F.leaky_relu(b["conv1"](h), 0.2)
        return F.avg_pool2d(h, 2)

    def forward(self, x: torch.Tensor, level: int, alpha: float = 1.0) -> torch.Tensor:
        expected = 4 * 2**level
        if x.shape[-1] != expected or x.shape[-2] != expected:
            raise ValueError(
                f"the critic at level {level} takes {expected}x{expected} images, "
                f"got {tuple(x.shape[-2:])}"
            )
        h = self.block(level, F.leaky_relu(self.from_rgb[level](x), 0.2))
        if level > 0 and alpha < 1.0:
            old = F.leaky_relu(self.from_rgb[level - 1](F.avg_pool2d(x, 2)), 0.2)
            h = torch.lerp(old, h, float(alpha))
        for k in range(level - 1, -1, -1):
            h = self.block(k, h)
        return h

    def active_parameters(self, level: int, alpha: float) -> list[nn.Parameter]:
        params = list(self.from_rgb[level].parameters())
        if level > 0 and alpha < 1.0:
            params += list(self.from_rgb[level - 1].parameters())
        for k in range(level + 1):
            params += list(self.blocks[k].parameters())
        return params
