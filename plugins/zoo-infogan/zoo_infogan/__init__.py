"""InfoGAN (Chen et al. 2016) for the medical GAN zoo. No torch here."""

from zoo_core import ArchSpec, ModelSpec, hookimpl
from zoo_infogan.config import InfoGANConfig


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="infogan",
            builder="zoo_infogan.model:build",
            config=InfoGANConfig,
            description="InfoGAN: categorical and continuous latent codes whose mutual "
            "information with the image is maximised through an auxiliary head Q that shares "
            "the discriminator's trunk (Chen et al. 2016).",
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            id="chen-infogan-mni152",
            architecture="infogan",
            config="zoo_infogan:configs/chen-infogan-mni152.yaml",
            card="zoo_infogan:model_cards/chen-infogan-mni152.md",
        )
    )
