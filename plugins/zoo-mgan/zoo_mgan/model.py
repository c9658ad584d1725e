"""MGAN networks (imported only when a model is built).

A frozen ImageNet network sits in front of both players: the generator decodes its maps at
1/8 of the image (VGG-19 relu4_1, 512 channels, in the paper) with a transposed-conv stack
(3x3 stride 1, then three 4x4 stride-2 up blocks, BN, ReLU, tanh), and the discriminator
classifies every neural patch of its maps at 1/4 (relu3_1, 256 channels) with two strided
convs (BN, LeakyReLU 0.2) and a 1x1 conv: one score per patch, trained with a hinge loss.

``model.feature_network`` picks that network: the paper's VGG-19
(:class:`zoo_core.losses.VGGFeatures`, whose ImageNet weights must be given as a file), or the
ImageNet Inception-v3 that the FID extractor ships (:class:`zoo_core.losses.InceptionFeatures`,
at hand offline), tapped at the layers of the same scales (``Mixed_5d``, ``Conv2d_4a_3x3``).

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

#: Each feature network's (patch layer at 1/4 of the image, encoder layer at 1/8) and their
#: channels.
FEATURE_LAYERS = {
    "vgg19": (("relu3_1", "relu4_1"), (256, 512)),
    "inception-v3": (("Conv2d_4a_3x3", "Mixed_5d"), (192, 288)),
}


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
    def __init__(self, in_channels: int, channels: int, nf: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(in_channels, nf * 8, 3, 1, 1, bias=False),
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
    def __init__(self, in_channels: int, nf: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            down_block(in_channels, nf * 4), down_block(nf * 4, nf * 8), nn.Conv2d(nf * 8, 1, 1)
        )
        self.apply(init_normal)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


class InceptionMaps(nn.Module):
    """Inception-v3's maps at 1/4 and 1/8 of the image, on the image's own grid.

    The network's unpadded layers take 19 pixels off a side on the way to ``Mixed_5d``, so
    the image is first reflected out by 9 and 10 pixels: a side of ``8 m`` then gives ``m``
    at ``Mixed_5d`` and ``2 m + 1`` at ``Conv2d_4a_3x3``, each map aligned with the image,
    as VGG's padded layers give ``m`` and ``2 m``.
    """

    def __init__(self, layers: tuple[str, str]) -> None:
        super().__init__()
        from zoo_core.plugin_api import InceptionFeatures

        self.network = InceptionFeatures(layers, input_size=None)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        return self.network(F.pad(images, (9, 10, 9, 10), mode="reflect"))


def feature_network(cfg) -> nn.Module:
    """The frozen network ``model.feature_network`` names, tapped at its two MGAN layers."""
    from zoo_core.plugin_api import VGGFeatures

    name = str(cfg.feature_network)
    if name not in FEATURE_LAYERS:
        raise ConfigError(
            f"model.feature_network must be one of {', '.join(FEATURE_LAYERS)}, not {name!r}."
        )
    layers = FEATURE_LAYERS[name][0]
    if name == "inception-v3":
        try:
            return InceptionMaps(layers)
        except ZooError as exc:
            raise ConfigError(f"model.feature_network=inception-v3: {exc}") from None
    try:
        return VGGFeatures(layers, weights_path=cfg.vgg_weights, allow_random=cfg.allow_random_vgg)
    except ZooError as exc:
        raise ConfigError(
            f"model.vgg_weights: {exc} (for MGAN: set model.vgg_weights=FILE, "
            "model.feature_network=inception-v3 (shipped, offline), or "
            "model.allow_random_vgg=true for tests only)"
        ) from None


class MGAN(GANModel):
    """``generate(condition=content images)`` gives textured images of the same size."""

    conditional = True
    #: The encoder's maps are at 1/8 of the image: zoo generate pads slices to a multiple.
    size_multiple = 8

    def __init__(self, cfg) -> None:
        super().__init__()
        if cfg.resolution % 32:
            raise ConfigError(f"model.resolution must be a multiple of 32, not {cfg.resolution}")
        self.shape = (cfg.channels, cfg.resolution, cfg.resolution)
        self.border = int(cfg.patch_border)
        self.blur = float(cfg.content_blur)
        self.features = feature_network(cfg)
        patch_channels, encoder_channels = FEATURE_LAYERS[str(cfg.feature_network)][1]
        self.generator = Decoder(encoder_channels, cfg.channels, cfg.g_filters)
        self.discriminator = PatchClassifier(patch_channels, cfg.d_filters)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        return self.features(images)[1]

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
        scores = self.discriminator(self.features(images)[0])
        b = self.border
        if b and scores.shape[2] > 2 * b and scores.shape[3] > 2 * b:
            scores = scores[:, :, b:-b, b:-b]
        return scores

    def example_batch(self, batch_size=2):
        return {"target": torch.rand(batch_size, *self.shape) * 2 - 1}
