"""MGAN, the Markovian GAN of Li & Wand (2016), for the medical GAN zoo. No torch here."""

from zoo_core import ArchSpec, ModelSpec, hookimpl
from zoo_mgan.config import MGANConfig


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="mgan",
            builder="zoo_mgan.model:build",
            config=MGANConfig,
            description="Markovian GAN: a fixed VGG-19 encodes the input for a deconvolutional "
            "generator and encodes images for a fully convolutional discriminator that "
            "classifies neural patches (texture transfer; Li & Wand 2016).",
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            id="li-mgan-mni152",
            architecture="mgan",
            config="zoo_mgan:configs/li-mgan-mni152.yaml",
            card="zoo_mgan:model_cards/li-mgan-mni152.md",
        )
    )
