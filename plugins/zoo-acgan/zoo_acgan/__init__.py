"""ACGAN (Odena et al. 2017) for the medical GAN zoo: registers the architecture and its id.

No torch here: builder and dataset are named as strings.
"""

from zoo_acgan.config import ACGANConfig
from zoo_core.plugin_api import ArchSpec, ModelSpec, hookimpl

#: The zoo plugin API this plugin is written for (checked when the zoo loads it).
ZOO_PLUGIN_API = "1.1"


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
        )
    )


@hookimpl
def register_models(register):
    register(ModelSpec.packaged("zoo_acgan", "odena-acgan-mni152", "acgan"))
