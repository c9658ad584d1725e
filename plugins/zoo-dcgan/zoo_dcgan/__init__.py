"""DCGAN (Radford et al. 2016) for the medical GAN zoo: registers the architecture and its ids.

Imported whenever `zoo` starts, so no torch here: the builder is a string.
"""

from zoo_core.plugin_api import ArchSpec, ModelSpec, hookimpl
from zoo_dcgan.config import DCGANConfig

#: The zoo plugin API this plugin is written for (checked when the zoo loads it).
ZOO_PLUGIN_API = "1.2"

#: Small enough for the conformance kit (16x16 slices, 8 filters).
TINY = [
    "model.g_filters=8",
    "model.d_filters=8",
    "model.resolution=16",
    "data.spatial_size=[16,16]",
]


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="dcgan",
            builder="zoo_dcgan.model:DCGAN",
            config=DCGANConfig,
            description="Deep convolutional GAN: transposed-conv generator, strided-conv "
            "discriminator, batch norm, ReLU/LeakyReLU (Radford et al. 2016).",
            tiny=TINY,
        )
    )


@hookimpl
def register_models(register):
    # The trained weights ship in this package (weights/<id>/, its README.md the card).
    register(ModelSpec.packaged("zoo_dcgan", "radford-dcgan-mni152", "dcgan", shipped=True))
