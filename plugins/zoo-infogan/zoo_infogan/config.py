"""The schema of the InfoGAN `model:` config section (no torch here)."""

from dataclasses import dataclass


@dataclass
class InfoGANConfig:
    """Chen et al.'s MNIST codes: 62-d noise, one 10-way categorical, two U(-1, 1) codes."""

    noise_dim: int = 62
    categories: int = 10
    continuous: int = 2
    resolution: int = 64
    channels: int = 1
    g_filters: int = 64
    d_filters: int = 64
    #: Hidden width of Q's head (Chen et al.: a 128-unit layer on D's features).
    q_hidden: int = 128
    #: Weight of the MI term for the categorical code (Chen et al.: 1).
    lambda_categorical: float = 1.0
    #: Weight for the continuous codes (Chen et al.: "smaller" than 1; 0.1 here).
    lambda_continuous: float = 0.1
