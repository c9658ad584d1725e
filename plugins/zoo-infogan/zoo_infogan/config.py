"""The schema of the InfoGAN `model:` config section (no torch here)."""

from dataclasses import dataclass


@dataclass
class InfoGANConfig:
    """Chen et al.'s MNIST codes: 62-d noise, one 10-way categorical, two U(-1, 1) codes."""

    noise_dim: int = 62
    categories: int = 10
    continuous: int = 2
    #: A multiple of 4: G and D work at resolution / 4 (7x7 for MNIST's 28x28) and 2x that.
    resolution: int = 64
    channels: int = 1
    #: Width of the fully connected layers (Chen et al.: 1024 in G, D and before Q).
    fc_hidden: int = 1024
    #: G's last up-convolution has g_filters channels, the one before 2 * g_filters (64, 128).
    g_filters: int = 64
    #: D's convolutions have d_filters and 2 * d_filters channels (64, 128).
    d_filters: int = 64
    #: Hidden width of Q's head (Chen et al.: a 128-unit layer on D's features).
    q_hidden: int = 128
    #: Weight of the MI term for the categorical code (Chen et al.: 1).
    lambda_categorical: float = 1.0
    #: Weight for the continuous codes (Chen et al.: "smaller" than 1; 0.1 here).
    lambda_continuous: float = 0.1
