"""Krishna & Mueller's per-organ style-transfer cGAN: region map + noise -> CT slice.

No torch here: builders, trainer and dataset are named as strings.
"""

from zoo_core.plugin_api import ArchSpec, ModelSpec, hookimpl
from zoo_stylecgan.config import StyleCGANConfig, StyleCGANDataConfig, StyleCGANTrainConfig

#: The zoo plugin API this plugin is written for (checked when the zoo loads it).
ZOO_PLUGIN_API = "1.1"

IDS = ("krishna-stylecgan-ct", "krishna-stylecgan-headct")


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="stylecgan",
            builder="zoo_stylecgan.model:StyleCGAN",
            config=StyleCGANConfig,
            description="Segmentation map + 200-d noise -> CT slice: encoder-decoder with skips, "
            "conditional critic, per-organ (masked) VGG-19 Gram style, content and TV losses "
            "(Krishna & Mueller).",
            trainer="zoo_stylecgan.trainer:StyleCGANTrainer",
            train_config=StyleCGANTrainConfig,
            data_config=StyleCGANDataConfig,
            dataset="zoo_stylecgan.data:region_pairs",
            generate_options="zoo_stylecgan.options:generate_options",
        )
    )


@hookimpl
def register_models(register):
    for model_id in IDS:
        register(ModelSpec.packaged("zoo_stylecgan", model_id, "stylecgan"))


@hookimpl
def register_commands(cli):
    from zoo_stylecgan.cli import stylecgan

    cli.add_command(stylecgan)
