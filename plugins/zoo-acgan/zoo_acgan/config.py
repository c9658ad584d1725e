"""The schema of the ACGAN `model:` config section (no torch here)."""

from dataclasses import dataclass


@dataclass
class ACGANConfig:
    """Noise and one-hot class into the generator; two heads on the discriminator."""

    latent_dim: int = 100
    num_classes: int = 2
    resolution: int = 64
    channels: int = 1
    g_filters: int = 64
    d_filters: int = 64
    #: Weight of the auxiliary classification loss L_C, added to both players' losses.
    aux_weight: float = 1.0
