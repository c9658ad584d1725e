"""WGAN (Arjovsky et al. 2017) and WGAN-GP (Gulrajani et al. 2017) for the medical GAN zoo.

One architecture, ``wgan`` (DCGAN-shaped generator and critic with a linear output), and two
ids: weight clipping with RMSprop, and the gradient penalty with Adam. The losses, clipping
and penalty are the core trainer's (``train.adversarial``, ``train.weight_clip``,
``train.gp_weight``). No torch here.
"""

from zoo_core.plugin_api import ArchSpec, ModelSpec, hookimpl
from zoo_wgan.config import WGANConfig

#: The zoo plugin API this plugin is written for (checked when the zoo loads it).
ZOO_PLUGIN_API = "1.2"

#: Small enough for the conformance kit (16x16 slices, 8 filters).
TINY = [
    "model.g_filters=8",
    "model.d_filters=8",
    "model.resolution=16",
    "data.spatial_size=[16,16]",
]

IDS = ("arjovsky-wgan-mni152", "gulrajani-wgangp-mni152")


@hookimpl
def register_architectures(register):
    register(
        ArchSpec(
            name="wgan",
            builder="zoo_wgan.model:WGAN",
            config=WGANConfig,
            description="Wasserstein GAN: DCGAN-shaped generator and a critic with a linear "
            "output, trained n_critic times per generator step (weight clipping or gradient "
            "penalty).",
            tiny=TINY,
        )
    )


#: The ids whose trained weights ship in this package (weights/<id>/, its README.md the card).
SHIPPED = ("arjovsky-wgan-mni152", "gulrajani-wgangp-mni152")


@hookimpl
def register_models(register):
    for model_id in IDS:
        register(ModelSpec.packaged("zoo_wgan", model_id, "wgan", shipped=model_id in SHIPPED))
