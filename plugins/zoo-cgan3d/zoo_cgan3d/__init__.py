"""The cgan3d plugin: Mangalagiri et al.'s 3D conditional GAN on 32³ CT blocks.

Imported whenever ``zoo`` starts, so it holds only hookimpls and config dataclasses: builders,
trainer data and commands are named as strings or import torch inside their bodies.
"""

from zoo_cgan3d.config import CGAN3DConfig, CGAN3DDataConfig
from zoo_core.plugin_api import ArchSpec, ModelSpec, TrainConfig, hookimpl

#: Ids whose trained weights ship in this package (weights/<id>/, its README.md the card).
SHIPPED_IDS = (
    "mangalagiri-cgan3d-headct",
    "mangalagiri-cgan3d-headct-autoencode",
    "mangalagiri-cgan3d-headct-depixelate",
)

MODEL_IDS = (
    "mangalagiri-cgan3d-autoencode",
    "mangalagiri-cgan3d-denoise",
    "mangalagiri-cgan3d-depixelate",
    "mangalagiri-cgan3d-headct",  # demo scale: the denoise task on the head CT, CPU
    "mangalagiri-cgan3d-headct-depixelate",  # demo scale, the same way
    "mangalagiri-cgan3d-headct-autoencode",  # demo scale, the same way
)

#: The zoo plugin API this plugin is written for (checked when the zoo loads it).
ZOO_PLUGIN_API = "1.3"  # GANModel.condition_options

#: Small enough for the conformance kit (16^3 blocks, a two-level U-Net).
TINY = [
    "model.z_dim=2",
    "model.generator_channels=[8,16,32]",
    "model.generator_strides=[2,2]",
    "model.discriminator_channels=8",
    "model.discriminator_layers=2",
    "model.block_size=16",
    "data.spatial_size=[16,16,16]",
]


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="cgan3d",
            builder="zoo_cgan3d.model:CGAN3D",
            config=CGAN3DConfig,
            description=(
                "3D conditional GAN (3D U-Net generator + uniform z, PatchGAN discriminator on "
                "condition+block, adversarial + L1) on 32³ CT blocks (Mangalagiri et al.)."
            ),
            train_config=TrainConfig,
            data_config=CGAN3DDataConfig,
            dataset="zoo_cgan3d.data:training_dataset",
            evaluation="zoo_cgan3d.evaluate:paper_report",
            example_data="zoo_cgan3d.data:example_data",
            tiny=TINY,
        )
    )


@hookimpl
def register_models(register):
    for model_id in MODEL_IDS:
        shipped = model_id in SHIPPED_IDS
        register(ModelSpec.packaged("zoo_cgan3d", model_id, "cgan3d", shipped=shipped))


@hookimpl
def register_commands(cli):
    from zoo_cgan3d.cli import cgan3d

    cli.add_command(cgan3d)
