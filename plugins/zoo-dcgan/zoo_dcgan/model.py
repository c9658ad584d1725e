"""DCGAN networks (imported only when a model is built).

Both networks come from :mod:`zoo_core.layers`: the generator projects the noise to a 4x4
seed and doubles it with transposed convolutions (BN + ReLU, tanh out), the discriminator
halves the image with strided convolutions (BN + LeakyReLU 0.2, no BN on the first layer)
and ends in one logit (the trainer's ``bce`` loss applies the sigmoid).
"""

from __future__ import annotations

import torch

from zoo_core.plugin_api import ConfigError, ConvCritic, ConvGenerator, GANModel


def sample_latent(
    n: int, dim: int, distribution: str, device: torch.device, generator: torch.Generator | None
) -> torch.Tensor:
    """Noise from U(-1, 1) (Radford et al.) or N(0, 1), reproducible with a seeded generator."""
    if distribution == "uniform":
        return torch.rand(n, dim, device=device, generator=generator) * 2 - 1
    return torch.randn(n, dim, device=device, generator=generator)


class DCGAN(GANModel):
    """Unconditional DCGAN; ``generate(n)`` gives ``(n, channels, resolution, resolution)``."""

    def __init__(self, cfg) -> None:
        super().__init__()
        if cfg.latent_distribution not in ("uniform", "normal"):
            raise ConfigError(
                f"model.latent_distribution must be 'uniform' or 'normal', not "
                f"{cfg.latent_distribution!r}"
            )
        self.latent_dim = cfg.latent_dim
        self.distribution = cfg.latent_distribution
        self.shape = (cfg.channels, cfg.resolution, cfg.resolution)
        self.generator = ConvGenerator(cfg.latent_dim, cfg.channels, cfg.resolution, cfg.g_filters)
        self.discriminator = ConvCritic(cfg.channels, cfg.resolution, cfg.d_filters, "batch")

    def _noise(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        return sample_latent(n, self.latent_dim, self.distribution, self.device, generator)

    def sample(self, n, condition, generator):
        return self.generator(self._noise(n, generator))

    def example_batch(self, batch_size=2):
        return {"target": torch.rand(batch_size, *self.shape) * 2 - 1}
