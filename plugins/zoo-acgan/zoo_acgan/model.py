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

from zoo_core.errors import ZooError
from zoo_core.interfaces.model import GANModel, latent
from zoo_core.layers import ConvEncoder, ConvGenerator, init_normal


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


class Discriminator(nn.Module):
    def __init__(self, channels: int, resolution: int, filters: int, num_classes: int) -> None:
        super().__init__()
        self.trunk = ConvEncoder(channels, resolution, filters, norm="batch")
        self.source = nn.Conv2d(self.trunk.out_channels, 1, 4, 1, 0)
        self.classes = nn.Conv2d(self.trunk.out_channels, num_classes, 4, 1, 0)
        init_normal(self.source)
        init_normal(self.classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(x)
        return self.source(h).flatten(1), self.classes(h).flatten(1)


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
        self.generator = ConvGenerator(
            cfg.latent_dim + cfg.num_classes, cfg.channels, cfg.resolution, cfg.g_filters
        )
        self.discriminator = Discriminator(
            cfg.channels, cfg.resolution, cfg.d_filters, cfg.num_classes
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

    def fake_batch(self, batch, generator=None):
        return self._generate(as_class_indices(batch["condition"], self.num_classes), generator)

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


def build(cfg) -> ACGAN:
    return ACGAN(cfg)
