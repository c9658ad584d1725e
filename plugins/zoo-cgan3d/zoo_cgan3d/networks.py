"""The generator and discriminator, built from MONAI's 3D networks.

The paper names a 3D U-Net generator fed the condition and a uniform noise vector z, and a
discriminator that sees the condition with the real or generated block (pix2pix, its
reference [4]); it gives no layer sizes, so widths follow pix2pix (64 filters, doubling).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from monai.networks.nets import UNet
from torch import nn

from zoo_core.plugin_api import ConfigError, PatchGANDiscriminator

LEAKY = ("LEAKYRELU", {"negative_slope": 0.2})
NORMS = {"batch": "BATCH", "instance": "INSTANCE", "none": None}


class UNetGenerator(nn.Module):
    """3D U-Net on ``[condition, z tiled over the block]`` with a tanh output in [-1, 1], or
    with ``residual`` the condition plus the U-Net's output.

    Tiling z over every voxel and concatenating it to the input is how a noise *vector* is
    fed to a fully convolutional generator "initially" (BicycleGAN's add-to-input): the net
    stays convolutional, so it takes any block size divisible by the product of the strides.
    """

    def __init__(
        self,
        channels: int,
        z_dim: int,
        widths: Sequence[int],
        strides: Sequence[int],
        res_units: int = 0,
        dropout: float = 0.0,
        residual: bool = False,
        norm: str = "batch",
        extra_inputs: int = 0,
    ) -> None:
        super().__init__()
        if norm not in NORMS:
            choices = ", ".join(NORMS)
            raise ConfigError(f"model.generator_norm must be one of {choices}, not {norm!r}")
        self.z_dim = z_dim
        self.residual = residual
        self.unet = UNet(
            spatial_dims=3,
            in_channels=channels + extra_inputs + z_dim,
            out_channels=channels,
            channels=tuple(widths),
            strides=tuple(strides),
            num_res_units=res_units,
            act=LEAKY,
            norm=NORMS[norm],
            dropout=dropout,
        )
        if residual:
            # The correction starts near zero, so the untrained generator is about the
            # identity: a default-initialised last layer adds noise of the data's own size,
            # which L1 then needs thousands of steps to remove (measured: L1 0.63 at step 20,
            # and below the noisy input after 3000 steps). Not exactly zero, so that the first
            # backward still reaches every layer. With residual units the output layer is a
            # transposed convolution followed by a unit with an identity skip, so both are
            # scaled: the unit alone would pass the first one's full-size output through.
            output_layer = self.unet.model[-1]
            with torch.no_grad():
                for conv in output_layer.modules():
                    if isinstance(conv, nn.Conv3d | nn.ConvTranspose3d):
                        conv.weight.mul_(1e-3)
                        conv.bias.zero_()

    def forward(
        self,
        condition: torch.Tensor,
        z: torch.Tensor | None = None,
        base: torch.Tensor | None = None,
        extra: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``base`` (default: the condition) is what a residual generator corrects; ``extra``
        are input channels beside the condition (``extra_inputs`` of them)."""
        image = condition if base is None else base
        out = self.unet(network_input(condition, z, self.z_dim, extra))
        if self.residual:  # the condition plus a correction; the caller clamps to [-1, 1]
            return image + out.to(image.dtype)
        return torch.tanh(out)


def network_input(
    condition: torch.Tensor, z: torch.Tensor | None, z_dim: int, extra: torch.Tensor | None
) -> torch.Tensor:
    """``[condition, extra, z tiled over the block]`` along the channels."""
    parts = [condition]
    if extra is not None:
        parts.append(extra.to(condition.dtype))
    if z_dim:
        if z is None or z.shape != (condition.shape[0], z_dim):
            raise ValueError(f"z must have shape (N, {z_dim})")
        tiled = z.to(condition.dtype)[:, :, None, None, None]
        parts.append(tiled.expand(-1, -1, *condition.shape[2:]))
    return torch.cat(parts, dim=1) if len(parts) > 1 else condition


class LatticeGenerator(nn.Module):
    """Depixelation on the lattice of the voxels the pixelation keeps: a stack of 3³
    convolutions (LeakyReLU between) maps ``[kept voxels, z tiled]`` to one correction per
    sub-voxel position of each cell, which :func:`shuffle_phases` puts on the full grid and
    adds to ``base``; the kept voxels pass unchanged.

    Not the paper's U-Net: on the lattice a U-Net (MONAI's, strides 1-2 or 1-1-1) stayed at
    or below its cubic base for 1,000 steps where this stack gained 2 dB (see the depixelate
    card). The lattice gives the network ``factor³`` times the context for the same cost, as
    ESPCN's sub-pixel layer does in 2D.

    With ``every_voxel`` (denoising) nothing is known exactly: every voxel of each cell is
    an input channel (:func:`unshuffle_phases`, FFDNet's down-sampling in 3D) and every one
    gets a correction.
    """

    def __init__(
        self,
        channels: int,
        z_dim: int,
        widths: Sequence[int],
        factor: int,
        extra_inputs: int = 0,
        every_voxel: bool = False,
    ) -> None:
        super().__init__()
        if not widths:
            raise ConfigError("model.generator_channels needs at least one width")
        self.z_dim = z_dim
        self.factor = factor
        self.every_voxel = every_voxel
        cell = factor**3 if every_voxel else 1
        layers: list[nn.Module] = []
        width_in = (channels + extra_inputs) * cell + z_dim
        for width in widths:
            layers += [nn.Conv3d(width_in, width, 3, padding=1), nn.LeakyReLU(0.2)]
            width_in = width
        layers.append(nn.Conv3d(width_in, channels * factor**3, 3, padding=1))
        self.body = nn.Sequential(*layers)
        with torch.no_grad():
            for conv in self.body[:-1:2]:  # He's initialisation keeps the signal through depth
                nn.init.kaiming_normal_(conv.weight, a=0.2, nonlinearity="leaky_relu")
                conv.bias.zero_()
            # start near the base, as the residual U-Net does
            self.body[-1].weight.mul_(1e-2)
            self.body[-1].bias.zero_()

    def forward(
        self,
        condition: torch.Tensor,
        z: torch.Tensor | None = None,
        base: torch.Tensor | None = None,
        extra: torch.Tensor | None = None,
    ) -> torch.Tensor:
        f = self.factor
        if self.every_voxel:
            cells = unshuffle_phases(condition, f)
            extra = None if extra is None else unshuffle_phases(extra, f)
        else:
            cells = condition[:, :, ::f, ::f, ::f]
            extra = None if extra is None else extra[:, :, ::f, ::f, ::f]
        out = self.body(network_input(cells, z, self.z_dim, extra))
        image = condition if base is None else base
        corrections = shuffle_phases(out, f, image.shape[2:], keep_first=not self.every_voxel)
        return image + corrections.to(image.dtype)


def unshuffle_phases(grid: torch.Tensor, factor: int) -> torch.Tensor:
    """(N, C, f d, f h, f w) onto its cells' lattice, (N, C * f³, d, h, w): one channel per
    sub-voxel position, in the order :func:`shuffle_phases` reads them back."""
    n, c, *size = grid.shape
    if any(s % factor for s in size):
        raise ValueError(f"every side of {tuple(size)} must be a multiple of {factor}")
    d, h, w = (s // factor for s in size)
    cells = grid.reshape(n, c, d, factor, h, factor, w, factor).permute(0, 1, 3, 5, 7, 2, 4, 6)
    return cells.reshape(n, c * factor**3, d, h, w)


def shuffle_phases(
    phases: torch.Tensor, factor: int, size: torch.Size, keep_first: bool = True
) -> torch.Tensor:
    """(N, C * f³, d, h, w) corrections, one channel per sub-voxel position of each lattice
    cell, onto the full grid (N, C, f d, f h, f w), cropped to ``size``. With ``keep_first``
    position (0, 0, 0), the voxel the pixelation keeps, gets no correction: it is known
    exactly."""
    n, c = phases.shape[0], phases.shape[1] // factor**3
    d, h, w = phases.shape[2:]
    phases = phases.view(n, c, factor**3, d, h, w)
    if keep_first:
        keep = torch.ones(factor**3, device=phases.device, dtype=phases.dtype)
        keep[0] = 0
        phases = phases * keep[:, None, None, None]
    grid = phases.view(n, c, factor, factor, factor, d, h, w).permute(0, 1, 5, 2, 6, 3, 7, 4)
    grid = grid.reshape(n, c, d * factor, h * factor, w * factor)
    return grid[:, :, : size[0], : size[1], : size[2]]


class ConditionalPatchDiscriminator(nn.Module):
    """pix2pix's PatchGAN (the core's, batch norm as in pix2pix) on ``[condition, block]``."""

    def __init__(self, channels: int, filters: int, layers: int) -> None:
        super().__init__()
        self.net = PatchGANDiscriminator(
            2 * channels, base_filters=filters, n_layers=layers, norm="batch", spatial_dims=3
        )

    def forward(self, condition: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([condition, images.to(condition.dtype)], dim=1))
