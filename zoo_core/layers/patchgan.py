"""The PatchGAN discriminator of Isola et al. (2017), as used by CycleGAN and pix2pix.

MONAI's :class:`monai.networks.nets.PatchDiscriminator` has exactly this layer plan (a
stride-2 conv without norm, ``n_layers - 1`` more stride-2 convs, one stride-1 conv, a final
1-channel conv; widths doubling from ``base_filters``) and N(0, 0.02) initialisation; this
wrapper picks the CycleGAN defaults (instance norm, conv bias on) and returns only the patch
score map instead of MONAI's list of intermediate features.
"""

from __future__ import annotations

import torch
from torch import nn

_MONAI_NORMS = {"instance": "INSTANCE", "batch": "BATCH"}


def patchgan_receptive_field(n_layers: int, kernel_size: int = 4) -> int:
    """Receptive field in pixels of one output score: 70 for ``n_layers=3`` (the 70x70 GAN)."""
    strides = [2] * n_layers + [1, 1]  # initial conv + (n_layers - 1) stride-2, then two stride-1
    field = 1
    for stride in reversed(strides):
        field = field * stride + (kernel_size - stride)
    return field


class PatchGANDiscriminator(nn.Module):
    """Fully convolutional real/fake classifier of overlapping patches (2D or 3D).

    Output: one score per patch, ``(N, 1, H', W'[, D'])``; with ``n_layers=3`` each score sees
    a 70x70 patch. Works on any input size a multiple of ``2^n_layers``.
    """

    def __init__(
        self,
        in_channels: int,
        base_filters: int = 64,
        n_layers: int = 3,
        norm: str = "instance",
        spatial_dims: int = 2,
    ) -> None:
        super().__init__()
        from monai.networks.nets import PatchDiscriminator

        if norm not in _MONAI_NORMS:
            raise ValueError(f"norm must be one of {', '.join(_MONAI_NORMS)}, not {norm!r}")
        self.net = PatchDiscriminator(
            spatial_dims=spatial_dims,
            channels=base_filters,
            in_channels=in_channels,
            out_channels=1,
            num_layers_d=n_layers,
            kernel_size=4,
            norm=_MONAI_NORMS[norm],
            # Conv bias is redundant before batch norm, not before instance norm without affine.
            bias=norm == "instance",
            padding=1,
        )
        self.receptive_field = patchgan_receptive_field(n_layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[-1]
