"""The schema of the ACGAN `model:` config section (no torch here)."""

from dataclasses import dataclass


@dataclass
class ACGANConfig:
    """Noise and one-hot class into the generator; two heads on the discriminator."""

    latent_dim: int = 100
    num_classes: int = 2
    #: 8 times a power of two; 32 is the paper's CIFAR-10 network exactly.
    resolution: int = 64
    channels: int = 1
    #: G's width at 4x4, halved by each up-sampling (Odena et al.'s CIFAR-10 table: 384).
    g_filters: int = 384
    #: D's first convolution's width, doubled by each of the six (16 -> 512).
    d_filters: int = 16
    #: Dropout after each of D's convolutions (Odena et al.: 0.5).
    dropout: float = 0.5
    #: Weight of the auxiliary classification loss L_C, added to both players' losses.
    aux_weight: float = 1.0
