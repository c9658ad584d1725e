"""MGAN, the Markovian GAN of Li & Wand (2016), for the medical GAN zoo. No torch here."""

from zoo_core.plugin_api import ArchSpec, ModelSpec, hookimpl
from zoo_mgan.config import MGANConfig

#: The zoo plugin API this plugin is written for (checked when the zoo loads it).
ZOO_PLUGIN_API = "1.7"  # InceptionFeatures(input_size=None)

#: Small enough for the conformance kit (32x32 slices, 4 filters, the shipped Inception-v3).
TINY = [
    "model.feature_network=inception-v3",
    "model.resolution=32",
    "model.g_filters=4",
    "model.d_filters=4",
    "data.spatial_size=[32,32]",
]


#: Ids whose trained weights ship in this package (weights/<id>/, its README.md the card).
SHIPPED = ("li-mgan-mni152",)


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="mgan",
            builder="zoo_mgan.model:MGAN",
            config=MGANConfig,
            description="Markovian GAN: a fixed ImageNet network (VGG-19, or the shipped "
            "Inception-v3) encodes the input for a deconvolutional generator and encodes images "
            "for a fully convolutional discriminator that classifies neural patches (texture "
            "transfer; Li & Wand 2016).",
            evaluation="zoo_mgan.evaluation:texture_report",
            tiny=TINY,
        )
    )


@hookimpl
def register_models(register):
    for model_id in ("li-mgan-mni152",):
        shipped = model_id in SHIPPED
        register(ModelSpec.packaged("zoo_mgan", model_id, "mgan", shipped=shipped))


@hookimpl
def register_commands(cli):
    from zoo_mgan.cli import mgan

    cli.add_command(mgan)
