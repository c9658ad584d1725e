"""Conditional GAN (Mirza & Osindero 2014) for the medical GAN zoo. No torch here."""

from zoo_cgan.config import CGANConfig, CGANDataConfig
from zoo_core import ArchSpec, ModelSpec, hookimpl


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="cgan",
            builder="zoo_cgan.model:build",
            config=CGANConfig,
            description="Conditional GAN: the class label goes into both the generator and the "
            "discriminator (Mirza & Osindero 2014's MLP generator and maxout discriminator).",
            data_config=CGANDataConfig,
            dataset="zoo_cgan.data:level_slices",
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            id="mirza-cgan-mni152",
            architecture="cgan",
            config="zoo_cgan:configs/mirza-cgan-mni152.yaml",
            card="zoo_cgan:model_cards/mirza-cgan-mni152.md",
        )
    )
