"""Mirza & Osindero's conditional GAN (imported only when a model is built).

Generator: uniform noise z -> 200 ReLU units, one-hot y -> 1000 ReLU units, both -> 1200 ReLU
units -> one output per pixel (tanh here, for [-1, 1] images, where the paper used a sigmoid
for [0, 1] MNIST). Discriminator: x -> maxout 240 units x 5 pieces, y -> maxout 50 x 5, both
-> maxout 240 x 4 -> one logit. Dropout 0.5 on the hidden layers of both players, as the
paper applies it. The label reaches both players.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from zoo_core.plugin_api import GANModel, ZooError


class Maxout(nn.Module):
    """``units`` outputs, each the max of ``pieces`` linear functions (Goodfellow et al. 2013)."""

    def __init__(self, in_features: int, units: int, pieces: int) -> None:
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(in_features, units * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).view(x.shape[0], self.units, self.pieces).max(dim=2).values


class Generator(nn.Module):
    def __init__(self, cfg) -> None:
        super().__init__()
        self.shape = (cfg.channels, cfg.resolution, cfg.resolution)
        self.z = nn.Sequential(
            nn.Linear(cfg.latent_dim, cfg.z_hidden), nn.ReLU(inplace=True), nn.Dropout(cfg.dropout)
        )
        self.y = nn.Sequential(
            nn.Linear(cfg.num_classes, cfg.y_hidden), nn.ReLU(inplace=True), nn.Dropout(cfg.dropout)
        )
        pixels = cfg.channels * cfg.resolution**2
        self.joint = nn.Sequential(
            nn.Linear(cfg.z_hidden + cfg.y_hidden, cfg.joint_hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.joint_hidden, pixels),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = torch.cat([self.z(z), self.y(y)], 1)
        return self.joint(h).view(z.shape[0], *self.shape)


class Discriminator(nn.Module):
    def __init__(self, cfg) -> None:
        super().__init__()
        pixels = cfg.channels * cfg.resolution**2
        self.x = nn.Sequential(Maxout(pixels, cfg.d_x_units, cfg.d_pieces), nn.Dropout(cfg.dropout))
        self.y = nn.Sequential(
            Maxout(cfg.num_classes, cfg.d_y_units, cfg.d_pieces), nn.Dropout(cfg.dropout)
        )
        self.joint = nn.Sequential(
            Maxout(cfg.d_x_units + cfg.d_y_units, cfg.d_joint_units, cfg.d_joint_pieces),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.d_joint_units, 1),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.joint(torch.cat([self.x(x.flatten(1)), self.y(y)], 1))


class ConditionalGAN(GANModel):
    """``generate(condition=classes)``: one image per class index (or one-hot row)."""

    conditional = True
    condition_kind = "class"

    def __init__(self, cfg) -> None:
        super().__init__()
        self.latent_dim, self.num_classes = cfg.latent_dim, cfg.num_classes
        self.shape = (cfg.channels, cfg.resolution, cfg.resolution)
        self.generator = Generator(cfg)
        self.discriminator = Discriminator(cfg)

    def one_hot(self, condition: torch.Tensor) -> torch.Tensor:
        """One-hot rows from class indices ``(N,)`` or one-hot ``(N, K)`` conditions."""
        if condition.ndim == 2 and condition.shape[1] == self.num_classes:
            return condition.float()
        index = condition.reshape(-1).long()
        if index.numel() and (index.min() < 0 or index.max() >= self.num_classes):
            raise ZooError(f"class labels must lie in 0..{self.num_classes - 1}")
        return F.one_hot(index, self.num_classes).float()

    def _noise(self, n: int, generator) -> torch.Tensor:
        return torch.rand(n, self.latent_dim, device=self.device, generator=generator) * 2 - 1

    def sample(self, n, condition, generator):
        y = self.one_hot(condition).to(self.device)
        return self.generator(self._noise(y.shape[0], generator), y)

    def prepare_batch(self, batch, generator=None):
        """The real images' labels condition both the fakes and the discriminator."""
        batch = super().prepare_batch(batch, generator)
        if "condition" not in batch:
            if "label" not in batch:
                raise ZooError("conditional GAN batches need a 'label' (or 'condition') per image")
            batch["condition"] = batch["label"]
        return batch

    def critic(self, images, batch):
        return self.discriminator(images, self.one_hot(batch["condition"]))

    def example_batch(self, batch_size=2):
        return {
            "target": torch.rand(batch_size, *self.shape) * 2 - 1,
            "label": torch.arange(batch_size) % self.num_classes,
        }
