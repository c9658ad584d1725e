"""Loss functions for GAN training, looked up by name through the registry.

Configs name losses (``train.adversarial: hinge``, ``train.loss_weights: {l1: 100}``); the
names resolve through :func:`zoo_core.registry.get_registry` to the factories below, which
the core registers in :mod:`zoo_core.builtin` exactly as a plugin would register its own.
Nothing named in a config is ever imported directly.

Adversarial losses (``bce``, ``lsgan``, ``wgan``, ``hinge``) are :class:`AdversarialLoss`
objects with a discriminator form ``d_loss(real_scores, fake_scores)`` and a generator form
``g_loss(fake_scores)``; critics return raw scores (logits), never probabilities.
Terms (``l1``, ``l2``, ``perceptual``, ``style``, ``tv``, ``cycle``) are callables
``term(fake, target)`` returning a scalar.
"""

from __future__ import annotations

from zoo_core.losses.adversarial import (
    AdversarialLoss,
    BCELoss,
    HingeLoss,
    LSGANLoss,
    WassersteinLoss,
)
from zoo_core.losses.inception import InceptionFeatures
from zoo_core.losses.penalty import GradientPenalty
from zoo_core.losses.perceptual import PerceptualLoss, StyleLoss, VGGFeatures, gram_matrix
from zoo_core.losses.terms import CycleConsistency, L1Loss, L2Loss, TotalVariation

__all__ = [
    "AdversarialLoss",
    "BCELoss",
    "CycleConsistency",
    "GradientPenalty",
    "HingeLoss",
    "InceptionFeatures",
    "L1Loss",
    "L2Loss",
    "LSGANLoss",
    "PerceptualLoss",
    "StyleLoss",
    "TotalVariation",
    "VGGFeatures",
    "WassersteinLoss",
    "gram_matrix",
]
