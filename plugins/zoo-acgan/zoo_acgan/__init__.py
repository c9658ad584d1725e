"""ACGAN (Odena et al. 2017) for the medical GAN zoo: registers the architecture and its id.

No torch here: builder and dataset are named as strings.
"""

from zoo_acgan.config import ACGANConfig
from zoo_core import ArchSpec, ModelSpec, hookimpl


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="acgan",
            builder="zoo_acgan.model:build",
            config=ACGANConfig,
            description="Auxiliary-classifier GAN: the generator takes noise and a class, the "
            "discriminator predicts real/fake and the class (Odena et al. 2017).",
            dataset="zoo_acgan.data:tissue_slices",
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            id="odena-acgan-mni152",
            architecture="acgan",
            config="zoo_acgan:configs/odena-acgan-mni152.yaml",
            card="zoo_acgan:model_cards/odena-acgan-mni152.md",
        )
    )
