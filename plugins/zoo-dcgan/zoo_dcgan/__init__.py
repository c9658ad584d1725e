"""DCGAN (Radford et al. 2016) for the medical GAN zoo: registers the architecture and its ids.

Imported whenever `zoo` starts, so no torch here: the builder is a string.
"""

from zoo_core import ArchSpec, ModelSpec, hookimpl
from zoo_dcgan.config import DCGANConfig


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="dcgan",
            builder="zoo_dcgan.model:build",
            config=DCGANConfig,
            description="Deep convolutional GAN: transposed-conv generator, strided-conv "
            "discriminator, batch norm, ReLU/LeakyReLU (Radford et al. 2016).",
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            id="radford-dcgan-mni152",
            architecture="dcgan",
            config="zoo_dcgan:configs/radford-dcgan-mni152.yaml",
            card="zoo_dcgan:model_cards/radford-dcgan-mni152.md",
        )
    )
