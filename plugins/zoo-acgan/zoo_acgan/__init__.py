"""ACGAN (Odena et al. 2017) for the medical GAN zoo: registers the architecture and its id.

No torch here: builder and dataset are named as strings.
"""

from zoo_acgan.config import ACGANConfig
from zoo_core.plugin_api import ArchSpec, ModelSpec, hookimpl

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
            name="acgan",
            builder="zoo_acgan.model:ACGAN",
            config=ACGANConfig,
            description="Auxiliary-classifier GAN: the generator takes noise and a class, the "
            "discriminator predicts real/fake and the class (Odena et al. 2017).",
            dataset="zoo_acgan.data:tissue_slices",
            example_data="zoo_acgan.data:example_data",
            tiny=TINY,
        )
    )


@hookimpl
def register_models(register):
    register(ModelSpec.packaged("zoo_acgan", "odena-acgan-mni152", "acgan"))
