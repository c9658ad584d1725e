"""Adversarial losses, each with its discriminator (D) and generator (G) form.

Scores are the critic's raw outputs (logits; any shape, e.g. one per patch) and are reduced
by their mean. They are computed in float32 so that mixed-precision scores cannot overflow.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


class AdversarialLoss:
    """Base class: ``d_loss`` for the discriminator step, ``g_loss`` for the generator step."""

    #: The registered name (used in logs and error messages).
    name = "adversarial"

    def d_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def g_loss(self, fake_scores: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, fake_scores: torch.Tensor) -> torch.Tensor:
        """The generator form, so an adversarial loss can also be used as a plain term."""
        return self.g_loss(fake_scores)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class BCELoss(AdversarialLoss):
    """Goodfellow et al.'s loss with the non-saturating generator form.

    D minimises ``-log sigmoid(D(x)) - log(1 - sigmoid(D(G(z))))``; G minimises
    ``-log sigmoid(D(G(z)))`` (not ``log(1 - ...)``, whose gradient vanishes early on).
    Written with softplus, i.e. BCE-with-logits, which is stable for large scores.
    """

    name = "bce"

    def d_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        return F.softplus(-real_scores.float()).mean() + F.softplus(fake_scores.float()).mean()

    def g_loss(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return F.softplus(-fake_scores.float()).mean()


class LSGANLoss(AdversarialLoss):
    """Least squares GAN (Mao et al. 2017) with targets a=0 (fake), b=c=1 (real).

    D: ``1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]``; G: ``1/2 E[(D(G(z)) - 1)^2]``.
    """

    name = "lsgan"

    def d_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        real_term = ((real_scores.float() - 1) ** 2).mean()
        return 0.5 * real_term + 0.5 * (fake_scores.float() ** 2).mean()

    def g_loss(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((fake_scores.float() - 1) ** 2).mean()


class WassersteinLoss(AdversarialLoss):
    """Wasserstein critic loss (Arjovsky et al. 2017).

    D: ``E[D(G(z))] - E[D(x)]``; G: ``-E[D(G(z))]``. Needs a Lipschitz critic: weight
    clipping (``train.weight_clip``) or the gradient penalty (``train.adversarial: wgan-gp``).
    """

    name = "wgan"

    def d_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        return fake_scores.float().mean() - real_scores.float().mean()

    def g_loss(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return -fake_scores.float().mean()


class HingeLoss(AdversarialLoss):
    """Hinge loss (Lim & Ye 2017; SAGAN, BigGAN).

    D: ``E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``; G: ``-E[D(G(z))]``.
    """

    name = "hinge"

    def d_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        return F.relu(1 - real_scores.float()).mean() + F.relu(1 + fake_scores.float()).mean()

    def g_loss(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return -fake_scores.float().mean()


# Factories registered by zoo_core.builtin (they take the term's keyword options).


def bce() -> BCELoss:
    return BCELoss()


def lsgan() -> LSGANLoss:
    return LSGANLoss()


def wgan() -> WassersteinLoss:
    return WassersteinLoss()


def hinge() -> HingeLoss:
    return HingeLoss()
