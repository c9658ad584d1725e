"""The schema of the conditional GAN `model:` config section (no torch here)."""

from dataclasses import dataclass

from zoo_core.plugin_api import DataConfig


@dataclass
class CGANConfig:
    """Mirza & Osindero's MNIST networks, with the image side and class count as settings."""

    latent_dim: int = 100
    num_classes: int = 4
    resolution: int = 32
    channels: int = 1
    #: Generator: z -> z_hidden, y -> y_hidden (ReLU), joint -> joint_hidden (ReLU) -> image.
    z_hidden: int = 200
    y_hidden: int = 1000
    joint_hidden: int = 1200
    #: Discriminator maxout layers: x -> 240 units x 5 pieces, y -> 50 x 5, joint 240 x 4.
    d_x_units: int = 240
    d_y_units: int = 50
    d_joint_units: int = 240
    d_pieces: int = 5
    d_joint_pieces: int = 4
    #: Dropout on the hidden layers of G and D (the paper: 0.5 in both).
    dropout: float = 0.5


@dataclass
class CGANDataConfig(DataConfig):
    """Slices labelled by anatomical level (see zoo_cgan.data)."""

    #: Number of level classes, bottom to top; must equal model.num_classes.
    levels: int = 4
