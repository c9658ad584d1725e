"""The pggan plugin: progressively grown GANs for medical images (Beers et al. 2018).

Imported whenever `zoo` starts, so nothing here imports torch: the builder, trainer and
dataset are named as strings and imported only when a model is built or trained.
"""

from zoo_core.plugin_api import ArchSpec, ModelSpec, hookimpl
from zoo_pggan.config import PGGANConfig, PGGANDataConfig, PGGANTrainConfig

#: The zoo plugin API this plugin is written for (checked when the zoo loads it).
ZOO_PLUGIN_API = "1.7"  # split_folder (the fundus vessel figure)

#: Small enough for the conformance kit (up to 8x8, 8 filters).
TINY = ["model.max_resolution=8", "model.filters=8", "model.filters_at=[]"]

MODEL_IDS = ("beers-pggan-rop", "beers-pggan-brats", "beers-pggan-mni152", "beers-pggan-retina")
#: Ids whose trained weights ship in this package (weights/<id>/, its README.md the card).
SHIPPED_IDS = ("beers-pggan-mni152",)


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="pggan",
            builder="zoo_pggan.model:ProgressiveGAN",
            config=PGGANConfig,
            description=(
                "Progressively grown GAN (4x4 upwards, fade-in) with segmentation maps as extra "
                "output channels and a latent encoder (Beers et al. 2018)."
            ),
            trainer="zoo_pggan.trainer:ProgressiveTrainer",
            train_config=PGGANTrainConfig,
            data_config=PGGANDataConfig,
            dataset="zoo_pggan.data:training_dataset",
            example_data="zoo_pggan.data:example_data",
            evaluation="zoo_pggan.evaluation:paper_report",
            tiny=TINY,
        )
    )


@hookimpl
def register_models(register):
    for model_id in MODEL_IDS:
        shipped = model_id in SHIPPED_IDS
        register(ModelSpec.packaged("zoo_pggan", model_id, "pggan", shipped=shipped))


@hookimpl
def register_commands(cli):
    from zoo_pggan.cli import pggan

    cli.add_command(pggan)
