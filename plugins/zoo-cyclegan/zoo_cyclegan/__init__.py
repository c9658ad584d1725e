"""CycleGAN (Zhu et al. 2017) for unpaired MR <-> CT translation, with Hiasa et al.'s (2018)
gradient-consistency loss as an option. No torch here: everything is named as strings.
"""

from zoo_core.plugin_api import ArchSpec, ModelSpec, hookimpl
from zoo_cyclegan.config import CycleGANConfig, CycleGANDataConfig, CycleGANTrainConfig

#: The zoo plugin API this plugin is written for (checked when the zoo loads it).
ZOO_PLUGIN_API = "1.5"

#: Small enough for the conformance kit (32x32 slices, 4 filters, one residual block).
TINY = [
    "model.g_filters=4",
    "model.d_filters=4",
    "model.n_blocks=1",
    "model.resolution=32",
    "data.spatial_size=[32,32]",
    "data.jitter_size=36",
]

IDS = ("zhu-cyclegan-mrct", "hiasa-cyclegan-mrct")
#: The ids whose trained weights ship in this package (weights/<id>/, its README.md the card).
SHIPPED = ("zhu-cyclegan-mrct", "hiasa-cyclegan-mrct")


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="cyclegan",
            builder="zoo_cyclegan.model:CycleGAN",
            config=CycleGANConfig,
            description="Two ResNet generators (A->B, B->A) and two 70x70 PatchGAN "
            "discriminators; least-squares adversarial, cycle-consistency and identity losses, "
            "image pool; optional gradient consistency (Hiasa et al. 2018).",
            trainer="zoo_cyclegan.trainer:CycleGANTrainer",
            train_config=CycleGANTrainConfig,
            data_config=CycleGANDataConfig,
            dataset="zoo_cyclegan.data:unpaired_slices",
            example_data="zoo_cyclegan.data:example_data",
            evaluation="zoo_cyclegan.evaluation:translation_report",
            tiny=TINY,
        )
    )


@hookimpl
def register_models(register):
    for model_id in IDS:
        shipped = model_id in SHIPPED
        register(ModelSpec.packaged("zoo_cyclegan", model_id, "cyclegan", shipped=shipped))


@hookimpl
def register_commands(cli):
    from zoo_cyclegan.cli import cyclegan

    cli.add_command(cyclegan)


@hookimpl
def register_losses(register):
    register("gradient_consistency", "zoo_cyclegan.losses:gradient_consistency")


def __getattr__(name):
    """``zoo_cyclegan.translate_volume`` without importing torch when the plugin loads."""
    if name == "translate_volume":
        from zoo_cyclegan.volume import translate_volume

        return translate_volume
    raise AttributeError(f"module 'zoo_cyclegan' has no attribute {name!r}")
