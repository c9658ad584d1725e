"""InfoGAN (Chen et al. 2016) for the medical GAN zoo. No torch here."""

from zoo_core.plugin_api import ArchSpec, ModelSpec, hookimpl
from zoo_infogan.config import InfoGANConfig

#: The zoo plugin API this plugin is written for (checked when the zoo loads it).
ZOO_PLUGIN_API = "1.1"


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="infogan",
            builder="zoo_infogan.model:InfoGAN",
            config=InfoGANConfig,
            description="InfoGAN: categorical and continuous latent codes whose mutual "
            "information with the image is maximised through an auxiliary head Q that shares "
            "the discriminator's trunk (Chen et al. 2016).",
        )
    )


@hookimpl
def register_models(register):
    register(ModelSpec.packaged("zoo_infogan", "chen-infogan-mni152", "infogan"))
