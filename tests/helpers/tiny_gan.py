"""A GAN small enough to train in a test: 2-layer MLPs on 8x8 grey images.

Shared by tests/test_training.py and the DDP worker in tests/test_ddp.py. The data are
8x8 images of a constant 0.5 plus a little noise, so "it learned" is checkable: the mean
of generated images moves from about 0 to about 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from zoo_core.interfaces.model import GANModel, latent
from zoo_core.registry import ArchSpec

SIZE = 8
MEAN = 0.5


@dataclass
class TinyConfig:
    latent_dim: int = 4
    hidden: int = 32
    #: BatchNorm in the discriminator and dropout in the generator exercise buffer syncing
    #: (DDP) and the global RNG (resume).
    batchnorm: bool = False
    dropout: float = 0.0


class TinyGAN(GANModel):
    def __init__(self, cfg: TinyConfig):
        super().__init__()
        self.latent_dim = cfg.latent_dim
        self.generator = nn.Sequential(
            nn.Linear(cfg.latent_dim, cfg.hidden),
            nn.ReLU(),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.hidden, SIZE * SIZE),
            nn.Tanh(),
            nn.Unflatten(1, (1, SIZE, SIZE)),
        )
        self.discriminator = nn.Sequential(
            nn.Flatten(),
            nn.Linear(SIZE * SIZE, cfg.hidden),
            nn.BatchNorm1d(cfg.hidden) if cfg.batchnorm else nn.Identity(),
            nn.LeakyReLU(0.2),
            nn.Linear(cfg.hidden, 1),
        )

    def sample(self, n, condition, generator):
        return self.generator(latent(n, self.latent_dim, self.device, generator))

    def fake_batch(self, batch, generator=None):
        n = batch["target"].shape[0]
        return self.generator(latent(n, self.latent_dim, self.device, generator))

    def example_batch(self, batch_size=2):
        return {"target": torch.rand(batch_size, 1, SIZE, SIZE) * 2 - 1}


def build(cfg) -> TinyGAN:
    return TinyGAN(cfg)


class ConstantImages(torch.utils.data.Dataset):
    """``n`` images of ``MEAN`` plus N(0, 0.05^2) noise, fixed by ``seed`` (+ random jitter)."""

    def __init__(self, n: int = 32, seed: int = 0, jitter: float = 0.0):
        rng = torch.Generator().manual_seed(seed)
        self.images = (MEAN + 0.05 * torch.randn(n, 1, SIZE, SIZE, generator=rng)).clamp(-1, 1)
        #: Random augmentation from the global torch RNG, as the core's datasets draw it.
        self.jitter = jitter

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict:
        image = self.images[index]
        if self.jitter:
            image = image + self.jitter * torch.randn(image.shape)
        return {"target": image, "index": index}


def dataset(data_cfg, path) -> ConstantImages:
    """An ArchSpec ``dataset`` function: the path is ignored, the images are synthetic."""
    return ConstantImages()


ARCH = ArchSpec(name="tinygan", builder="helpers.tiny_gan:build", config=TinyConfig)


def config(*overrides: str):
    """A full run config (model/train/data) for the tiny GAN with dotlist overrides."""
    from zoo_core import config as zoo_config

    base = [
        "train.batch_size=8",
        "train.optimizer_g.lr=0.002",
        "train.optimizer_d.lr=0.002",
        "train.log_every=1",
        "train.checkpoint_every=0",
    ]
    return zoo_config.load(ARCH, None, base + list(overrides))
