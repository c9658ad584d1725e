"""The schema of the WGAN `model:` config section (no torch here)."""

from dataclasses import dataclass


@dataclass
class WGANConfig:
    """DCGAN-shaped networks of both papers' 64x64 experiments (64 base filters)."""

    latent_dim: int = 100
    resolution: int = 64
    channels: int = 1
    g_filters: int = 64
    d_filters: int = 64
    #: Critic normalisation: "batch" (Arjovsky et al.'s DCGAN critic), "layer" (Gulrajani et
    #: al.'s recommendation with the gradient penalty, which batch norm would invalidate), "none".
    critic_norm: str = "batch"
