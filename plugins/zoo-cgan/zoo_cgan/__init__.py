"""Conditional GAN (Mirza & Osindero 2014) for the medical GAN zoo. No torch here."""

from zoo_cgan.config import CGANConfig, CGANDataConfig
from zoo_core.plugin_api import ArchSpec, ModelSpec, hookimpl

#: The zoo plugin API this plugin is written for (checked when the zoo loads it).
ZOO_PLUGIN_API = "1.1"


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="cgan",
            builder="zoo_cgan.model:ConditionalGAN",
            config=CGANConfig,
            description="Conditional GAN: the class label goes into both the generator and the "
            "discriminator (Mirza & Osindero 2014's MLP generator and maxout discriminator).",
            data_config=CGANDataConfig,
            dataset="zoo_cgan.data:level_slices",
        )
    )


@hookimpl
def register_models(register):
    register(ModelSpec.packaged("zoo_cgan", "mirza-cgan-mni152", "cgan"))
