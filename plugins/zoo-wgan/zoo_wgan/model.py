"""WGAN networks (imported only when a model is built).

The critic is :class:`zoo_core.layers.ConvCritic` (a conv encoder and a 4x4 conv to one unbounded
score): no sigmoid, since it estimates a Wasserstein distance, not a probability.
"""

from __future__ import annotations

import torch

from zoo_core.plugin_api import ConfigError, ConvCritic, ConvGenerator, GANModel, latent


class WGAN(GANModel):
    """Unconditional WGAN / WGAN-GP; ``generate(n)`` gives ``(n, channels, res, res)``."""

    def __init__(self, cfg) -> None:
        super().__init__()
        if cfg.critic_norm not in ("batch", "layer", "none"):
            raise ConfigError(
                f"model.critic_norm must be batch, layer or none, not {cfg.critic_norm!r}"
            )
        self.latent_dim = cfg.latent_dim
        self.shape = (cfg.channels, cfg.resolution, cfg.resolution)
        self.generator = ConvGenerator(cfg.latent_dim, cfg.channels, cfg.resolution, cfg.g_filters)
        self.discriminator = ConvCritic(
            cfg.channels, cfg.resolution, cfg.d_filters, cfg.critic_norm
        )

    def sample(self, n, condition, generator):
        return self.generator(latent(n, self.latent_dim, self.device, generator))

    def example_batch(self, batch_size=2):
        return {"target": torch.rand(batch_size, *self.shape) * 2 - 1}
