"""MGAN networks (imported only when a model is built).

A frozen VGG-19 (:class:`zoo_core.losses.VGGFeatures`, the core's one VGG, which reads timm or
torchvision weights) sits in front of both players: the generator decodes the relu4_1 maps
(512 channels, 1/8 size) of the content image with a transposed-conv stack (3x3 stride 1, then
three 4x4 stride-2 up blocks, BN, ReLU, tanh), and the discriminator classifies every neural
patch of the relu3_1 maps (256 channels, 1/4 size) with two strided convs (BN, LeakyReLU 0.2)
and a 1x1 conv: one score per patch, trained with a hinge (margin) loss.

Medical use here: the content image is a Gaussian-blurred MR slice (made on the fly in
:meth:`MGAN.prepare_batch`) and the target the slice itself, so the model learns to put
MR tissue texture onto smooth anatomy.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from zoo_core.plugin_api import ConfigError, GANModel, ZooError, down_block, init_normal, up_block

ENCODER_LAYER, PATCH_LAYER = "relu4_1", "relu3_1"


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N, C, H, W) with replicate padding."""
    if sigma <= 0:
        return x
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    c = x.shape[1]
    x = F.conv2d(
        F.pad(x, (radius, radius, 0, 0), mode="replicate"),
        k.view(1, 1, 1, -1).repeat(c, 1, 1, 1),
        groups=c,
    )
    return F.conv2d(
        F.pad(x, (0, 0, radius, radius), mode="replicate"),
        k.view(1, 1, -1, 1).repeat(c, 1, 1, 1),
        groups=c,
    )


class Decoder(nn.Module):
    def __init__(self, channels: int, nf: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(512, nf * 8, 3, 1, 1, bias=False),
            nn.BatchNorm2d(nf * 8),
            nn.ReLU(inplace=True),
            up_block(nf * 8, nf * 4),
            up_block(nf * 4, nf * 2),
            nn.ConvTranspose2d(nf * 2, channels, 4, 2, 1),
            nn.Tanh(),
        )
        self.apply(init_normal)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


class PatchClassifier(nn.Module):
    def __init__(self, nf: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            down_block(256, nf * 4), down_block(nf * 4, nf * 8), nn.Conv2d(nf * 8, 1, 1)
        )
        self.apply(init_normal)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


class MGAN(GANModel):
    """``generate(condition=content images)`` gives textured images of the same size."""

    conditional = True

    def __init__(self, cfg) -> None:
        super().__init__()
        from zoo_core.plugin_api import VGGFeatures

        if cfg.resolution % 32:
            raise ConfigError(f"model.resolution must be a multiple of 32, not {cfg.resolution}")
        self.shape = (cfg.channels, cfg.resolution, cfg.resolution)
        self.border = int(cfg.patch_border)
        self.blur = float(cfg.content_blur)
        try:
            self.vgg = VGGFeatures(
                (PATCH_LAYER, ENCODER_LAYER),
                weights_path=cfg.vgg_weights,
                allow_random=cfg.allow_random_vgg,
            )
        except ZooError as exc:
            raise ConfigError(
                f"model.vgg_weights: {exc} (for MGAN: set model.vgg_weights=FILE, or "
                "model.allow_random_vgg=true for tests only)"
            ) from None
        self.generator = Decoder(cfg.channels, cfg.g_filters)
        self.discriminator = PatchClassifier(cfg.d_filters)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        return self.vgg(images)[1]

    def sample(self, n, condition, generator):
        if condition.ndim != 4 or condition.shape[2] % 8 or condition.shape[3] % 8:
            raise ZooError(
                "MGAN takes (N, C, H, W) images with H, W multiples of 8, got "
                f"{tuple(condition.shape)}"
            )
        return self.generator(self.encode(condition))

    def prepare_batch(self, batch, generator=None):
        batch = super().prepare_batch(batch, generator)
        if "condition" not in batch:
            batch["condition"] = gaussian_blur(batch["target"], self.blur)
        return batch

    def critic(self, images, batch):
        """Scores of the interior neural patches (``patch_border`` rows/columns dropped)."""
        scores = self.discriminator(self.vgg(images)[0])
        b = self.border
        if b and scores.shape[2] > 2 * b and scores.shape[3] > 2 * b:
            scores = scores[:, :, b:-b, b:-b]
        return scores

    def example_batch(self, batch_size=2):
        return {"target": torch.rand(batch_size, *self.shape) * 2 - 1}
