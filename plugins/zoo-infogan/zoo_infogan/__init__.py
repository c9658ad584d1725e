"""InfoGAN (Chen et al. 2016) for the medical GAN zoo. No torch here."""

from zoo_core.plugin_api import ArchSpec, ModelSpec, hookimpl
from zoo_infogan.config import InfoGANConfig

#: The zoo plugin API this plugin is written for (checked when the zoo loads it).
ZOO_PLUGIN_API = "1.4"  # LevelSlices, code_agreement

#: Small enough for the conformance kit (16x16 slices, 8 filters).
TINY = [
    "model.g_filters=8",
    "model.d_filters=8",
    "model.resolution=16",
    "model.q_hidden=8",
    "data.spatial_size=[16,16]",
]


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
            evaluation="zoo_infogan.evaluation:code_split_report",
            tiny=TINY,
        )
    )


@hookimpl
def register_models(register):
    register(ModelSpec.packaged("zoo_infogan", "chen-infogan-mni152", "infogan"))
