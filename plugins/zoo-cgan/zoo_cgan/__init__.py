"""Conditional GAN (Mirza & Osindero 2014) for the medical GAN zoo. No torch here."""

from zoo_cgan.config import CGANConfig, CGANDataConfig
from zoo_core.plugin_api import ArchSpec, ModelSpec, hookimpl

#: The zoo plugin API this plugin is written for (checked when the zoo loads it).
ZOO_PLUGIN_API = "1.2"

#: Small enough for the conformance kit (8x8 slices, narrow layers).
TINY = [
    "model.z_hidden=16",
    "model.y_hidden=16",
    "model.joint_hidden=32",
    "model.resolution=8",
    "model.d_x_units=16",
    "model.d_y_units=4",
    "model.d_joint_units=8",
    "data.spatial_size=[8,8]",
]


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
            tiny=TINY,
        )
    )


@hookimpl
def register_models(register):
    register(ModelSpec.packaged("zoo_cgan", "mirza-cgan-mni152", "cgan"))
