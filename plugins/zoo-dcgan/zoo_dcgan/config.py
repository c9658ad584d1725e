"""The schema of the DCGAN `model:` config section (no torch here)."""

from dataclasses import dataclass


@dataclass
class DCGANConfig:
    """Radford et al.'s 64x64 networks: 100-d uniform noise, 1024->128 generator filters."""

    latent_dim: int = 100
    #: Output side in pixels (a power of two >= 8); the paper's networks are 64x64.
    resolution: int = 64
    channels: int = 1
    #: Filters of the generator's last hidden layer (doubling towards the 4x4 seed): 128 -> 1024.
    g_filters: int = 128
    #: Filters of the discriminator's first layer (doubling at each stride-2 conv).
    d_filters: int = 128
    #: Latent prior: "uniform" (Radford et al.: U(-1, 1)) or "normal".
    latent_distribution: str = "uniform"
