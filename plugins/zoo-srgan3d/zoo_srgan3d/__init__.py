"""The ``srgan3d`` plugin: the 3D SRGAN with least-squares losses of Sánchez & Vilaplana.

This module is imported whenever ``zoo`` starts, so it imports neither torch nor monai: the
builder, trainer-facing code and the ``zoo srgan3d`` commands are named as strings or import
their heavy libraries inside function bodies.
"""

from __future__ import annotations

from zoo_core.plugin_api import ArchSpec, ModelSpec, hookimpl
from zoo_srgan3d.config import SRGAN3DConfig

#: The zoo plugin API this plugin is written for (checked when the zoo loads it).
ZOO_PLUGIN_API = "1.2"

#: Small enough for the conformance kit (12^3 patches, 4 filters).
TINY = [
    "model.patch_size=12",
    "model.block_size=6",
    "model.gen_filters=4",
    "model.disc_filters=4",
    "model.disc_dense=8",
]

MODEL_IDS = ("sanchez-srgan3d", "sanchez-srgan3d-mni152")
#: Ids whose trained weights ship in this package (weights/<id>/, its README.md the card).
SHIPPED_IDS = ("sanchez-srgan3d-mni152",)


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="srgan3d",
            builder="zoo_srgan3d.model:SRGAN3D",
            config=SRGAN3DConfig,
            description=(
                "3D SRGAN (Sánchez & Vilaplana 2017): residual generator with tile-replication "
                "up-sampling, 8-conv discriminator with sigmoid, least-squares losses."
            ),
            evaluation="zoo_srgan3d.evaluate:paper_report",
            tiny=TINY,
        )
    )


@hookimpl
def register_models(register):
    for model_id in MODEL_IDS:
        shipped = model_id in SHIPPED_IDS
        register(ModelSpec.packaged("zoo_srgan3d", model_id, "srgan3d", shipped=shipped))


@hookimpl
def register_commands(cli):
    from zoo_srgan3d.cli import srgan3d

    cli.add_command(srgan3d)
