"""ACGAN networks and losses (imported only when a model is built).

Odena et al.: G(z, c) with the class c as a one-hot vector next to the noise; D(x) gives a
source logit P(S=real | x) and class logits P(C | x). D maximises L_S + L_C, G maximises
L_C - L_S, where L_C = log P(C=c | x_real) + log P(C=c | x_fake): the class term pushes
*both* players the same way, which the core trainer gets by adding
:meth:`ACGAN.auxiliary_loss` (the cross-entropy form of -L_C) to both losses.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from zoo_core.plugin_api import GANModel, ZooError, init_normal, latent


def as_class_indices(condition: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Class indices ``(N,)`` from indices ``(N,)``/``(N, 1)`` or one-hot ``(N, K)`` rows."""
    if condition.ndim == 2 and condition.shape[1] == num_classes and num_classes > 1:
        condition = condition.argmax(1)
    condition = condition.reshape(-1)
    if condition.is_floating_point():
        condition = condition.round()
    condition = condition.long()
    if condition.numel() and (condition.min() < 0 or condition.max() >= num_classes):
        raise ZooError(f"class labels must lie in 0..{num_classes - 1}, got {condition.tolist()}")
    return condition


class Generator(nn.Module):
    """Odena et al.'s CIFAR-10 generator (their appendix table), grown by one stage per
    doubling of the output: (noise, one-hot class) -> linear to 4x4 x ``filters`` (384), then
    5x5 stride-2 transposed convolutions halving the width (192, 96, ...) with batch norm and
    ReLU, the last to the image's channels with tanh. 32x32 is the paper's network exactly."""

    def __init__(self, in_features: int, channels: int, resolution: int, filters: int) -> None:
        super().__init__()
        stages = _doublings(resolution, 4, "model.resolution")
        self.unflat = (filters, 4, 4)
        self.project = nn.Sequential(
            nn.Linear(in_features, filters * 16, bias=False),
            nn.Unflatten(1, self.unflat),
            nn.BatchNorm2d(filters),
            nn.ReLU(inplace=True),
        )
        layers: list[nn.Module] = []
        width = filters
        for stage in range(stages):
            last = stage == stages - 1
            out = channels if last else width // 2
            layers.append(nn.ConvTranspose2d(width, out, 5, 2, 2, output_padding=1, bias=last))
            layers += [nn.Tanh()] if last else [nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
            width = out
        self.up = nn.Sequential(*layers)
        self.apply(init_normal)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.up(self.project(codes))


class Discriminator(nn.Module):
    """Odena et al.'s CIFAR-10 discriminator: six 3x3 convolutions of ``filters`` (16)
    doubling to 512, strides 2, 1, 2, 1, 2, 1, LeakyReLU 0.2 and dropout 0.5 after each,
    batch norm from the second; then two linear heads, the source logit and the class
    logits."""

    def __init__(
        self, channels: int, resolution: int, filters: int, num_classes: int, dropout: float
    ) -> None:
        super().__init__()
        _doublings(resolution, 8, "model.resolution")
        layers: list[nn.Module] = []
        width = channels
        for i, stride in enumerate((2, 1, 2, 1, 2, 1)):
            out = filters * 2**i
            layers.append(nn.Conv2d(width, out, 3, stride, 1, bias=i == 0))
            layers += [nn.BatchNorm2d(out)] if i else []
            layers += [nn.LeakyReLU(0.2, inplace=True), nn.Dropout(dropout)]
            width = out
        self.trunk = nn.Sequential(*layers, nn.Flatten())
        features = width * (resolution // 8) ** 2
        self.source = nn.Linear(features, 1)
        self.classes = nn.Linear(features, num_classes)
        self.apply(init_normal)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(x)
        return self.source(h), self.classes(h)


def _doublings(resolution: int, base: int, key: str) -> int:
    stages = (resolution // base).bit_length() - 1
    if resolution < base or base * 2**stages != resolution:
        raise ZooError(f"{key} must be {base} times a power of two, not {resolution}.")
    return stages


class ACGAN(GANModel):
    """``generate(condition=classes)`` gives one image per class index (or one-hot row)."""

    conditional = True
    condition_kind = "class"

    def __init__(self, cfg) -> None:
        super().__init__()
        self.latent_dim = cfg.latent_dim
        self.num_classes = cfg.num_classes
        self.aux_weight = cfg.aux_weight
        self.shape = (cfg.channels, cfg.resolution, cfg.resolution)
        self.generator = Generator(
            cfg.latent_dim + cfg.num_classes, cfg.channels, cfg.resolution, cfg.g_filters
        )
        self.discriminator = Discriminator(
            cfg.channels, cfg.resolution, cfg.d_filters, cfg.num_classes, cfg.dropout
        )

    def _generate(self, classes: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        z = latent(classes.shape[0], self.latent_dim, self.device, generator)
        onehot = F.one_hot(classes, self.num_classes).to(z.dtype)
        return self.generator(torch.cat([z, onehot], 1))

    def sample(self, n, condition, generator):
        return self._generate(as_class_indices(condition, self.num_classes), generator)

    def prepare_batch(self, batch, generator=None):
        """Draw the classes of the fakes (uniformly) unless the batch names them."""
        batch = super().prepare_batch(batch, generator)
        if "condition" not in batch:
            n = batch["target"].shape[0]
            batch["condition"] = torch.randint(
                self.num_classes, (n,), device=self.device, generator=generator
            )
        return batch

    def critic(self, images, batch):
        return self.discriminator(images)[0]

    def class_logits(self, images: torch.Tensor) -> torch.Tensor:
        return self.discriminator(images)[1]

    def auxiliary_loss(self, batch, fake):
        """``aux_weight * (CE(real, label) + CE(fake, its class))``, i.e. -L_C per sample."""
        fake_classes = as_class_indices(batch["condition"], self.num_classes)
        loss = F.cross_entropy(self.class_logits(fake).float(), fake_classes)
        if "label" in batch:
            labels = as_class_indices(batch["label"], self.num_classes)
            loss = loss + F.cross_entropy(self.class_logits(batch["target"]).float(), labels)
        return self.aux_weight * loss

    def example_batch(self, batch_size=2):
        return {
            "target": torch.rand(batch_size, *self.shape) * 2 - 1,
            "label": torch.arange(batch_size) % self.num_classes,
        }
