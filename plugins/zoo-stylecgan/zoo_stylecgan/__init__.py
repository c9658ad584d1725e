"""Krishna & Mueller's per-organ style-transfer cGAN: region map + noise -> CT slice.

No torch here: builders, trainer and dataset are named as strings.
"""

from zoo_core.plugin_api import ArchSpec, ModelSpec, hookimpl
from zoo_stylecgan.config import StyleCGANConfig, StyleCGANDataConfig, StyleCGANTrainConfig

#: The zoo plugin API this plugin is written for (checked when the zoo loads it).
ZOO_PLUGIN_API = "1.6"

#: Small enough for the conformance kit: 32x32 slices and a random VGG-19 (no download, and
#: no up-sampling to Inception-v3's 299 pixels, for the ids that train with it).
TINY = [
    "model.resolution=32",
    "model.g_depth=4",
    "model.g_filters=8",
    "model.g_max_filters=32",
    "model.d_filters=8",
    "model.d_max_filters=32",
    "model.noise_side=8",
    "data.spatial_size=[32,32]",
    "train.vgg_allow_random=true",
    "train.vgg_hub_repo=null",
    "train.feature_network=vgg19",
    "train.style_layers=[relu1_1,relu2_1,relu3_1,relu4_1,relu5_1]",
    "train.content_layer=relu4_2",
]

IDS = ("krishna-stylecgan-ct", "krishna-stylecgan-headct")
#: The ids whose trained weights ship in this package (weights/<id>/, its README.md the card).
SHIPPED = ("krishna-stylecgan-headct",)


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="stylecgan",
            builder="zoo_stylecgan.model:StyleCGAN",
            config=StyleCGANConfig,
            description="Segmentation map + 200-d noise -> CT slice: encoder-decoder with skips, "
            "conditional critic, per-organ (masked) Gram style, content and TV losses on VGG-19 "
            "or the shipped Inception-v3 (Krishna & Mueller).",
            trainer="zoo_stylecgan.trainer:StyleCGANTrainer",
            train_config=StyleCGANTrainConfig,
            data_config=StyleCGANDataConfig,
            dataset="zoo_stylecgan.data:region_pairs",
            generate_options="zoo_stylecgan.options:generate_options",
            example_data="zoo_stylecgan.data:example_data",
            evaluation="zoo_stylecgan.evaluation:style_report",
            tiny=TINY,
        )
    )


@hookimpl
def register_models(register):
    for model_id in IDS:
        shipped = model_id in SHIPPED
        register(ModelSpec.packaged("zoo_stylecgan", model_id, "stylecgan", shipped=shipped))


@hookimpl
def register_commands(cli):
    from zoo_stylecgan.cli import stylecgan

    cli.add_command(stylecgan)
