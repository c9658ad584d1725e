"""Generic network building blocks that several architectures share.

Every family in the zoo that needs a PatchGAN discriminator, a ResNet block, a DCGAN-style
up/down stack or an image history pool takes it from here, so a fix or an improvement lands
in every model at once. The pieces are architecture-agnostic (channels, depth, norm and
spatial dimensionality are arguments) and reuse MONAI's networks where MONAI has the piece.

Importing this package imports torch: import it from model modules, never from a plugin's
``__init__``.
"""

from zoo_core.layers.conv import (
    ConvCritic,
    ConvEncoder,
    ConvGenerator,
    down_block,
    init_normal,
    make_norm,
    up_block,
)
from zoo_core.layers.patchgan import PatchGANDiscriminator, patchgan_receptive_field
from zoo_core.layers.pool import ImagePool
from zoo_core.layers.resnet import ResnetBlock, ResnetGenerator

__all__ = [
    "ConvCritic",
    "ConvEncoder",
    "ConvGenerator",
    "ImagePool",
    "PatchGANDiscriminator",
    "ResnetBlock",
    "ResnetGenerator",
    "down_block",
    "init_normal",
    "make_norm",
    "patchgan_receptive_field",
    "up_block",
]
