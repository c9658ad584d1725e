"""CycleGAN's training step: two generators and two discriminators, with image pools.

D step: each PatchGAN sees its domain's real images and a fake drawn from its history pool
(50 images, Zhu et al.), least-squares loss ``1/2 (D(x) - 1)^2 + 1/2 D(fake)^2``.
G step: both generators, ``(D_B(G_AB(a)) - 1)^2 + (D_A(G_BA(b)) - 1)^2`` (Zhu et al.'s
least-squares generator form) + lambda * cycle + lambda * identity_weight * identity
[+ gradient_consistency_weight * gc]. lambda is ``train.loss_weights.cycle``.
"""

from __future__ import annotations

from typing import Any

import torch

from zoo_core.plugin_api import ConfigError, GANTrainer, ImagePool


def _num(x: torch.Tensor) -> float:
    return float(x.detach().float())


class CycleGANTrainer(GANTrainer):
    def __init__(self, model, cfg, dataset, out_dir, model_id, **kwargs: Any) -> None:
        train = cfg.train
        if str(train.adversarial) != "lsgan":
            raise ConfigError(
                f"train.adversarial={train.adversarial!r}: CycleGAN is trained with the "
                "least-squares loss; set train.adversarial=lsgan."
            )
        unknown = sorted(set(train.loss_weights) - {"cycle"})
        if unknown:
            raise ConfigError(
                f"train.loss_weights: CycleGAN takes only 'cycle' (lambda) there, not {unknown}; "
                "the identity and gradient-consistency weights are train.identity_weight and "
                "train.gradient_consistency_weight."
            )
        super().__init__(model, cfg, dataset, out_dir, model_id, **kwargs)
        model.cycle_weight = float(train.loss_weights.get("cycle", 0.0))
        model.identity_weight = float(train.identity_weight)
        model.gc_weight = float(train.gradient_consistency_weight)
        self.pool_a = ImagePool(int(train.pool_size))
        self.pool_b = ImagePool(int(train.pool_size))

    def term_inputs(self, name, term, fake, batch):
        """``cycle`` compares reconstructions with originals (used by the base class only)."""
        gen = self.model.generator
        real_a, real_b = batch["condition"], batch["target"]
        return [gen.ba(fake), gen.ab(gen.ba(real_b))], [real_a, real_b]

    def discriminator_loss(self, batch):
        model = self.model
        real_a, real_b = batch["condition"], batch["target"]
        with torch.no_grad():
            fake_b = model.generator.ab(real_a)
            fake_a = model.generator.ba(real_b)
        rng = self.noise if self.noise.device.type == "cpu" else None
        fake_b = self.pool_b.query(fake_b, generator=rng)
        fake_a = self.pool_a.query(fake_a, generator=rng)
        disc = model.discriminator
        loss_b = self.adversarial.d_loss(disc.b(real_b), disc.b(fake_b))
        loss_a = self.adversarial.d_loss(disc.a(real_a), disc.a(fake_a))
        return loss_a + loss_b, {"d_a": _num(loss_a), "d_b": _num(loss_b)}

    def generator_loss(self, batch):
        model = self.model
        fake_b = model.generator.ab(batch["condition"])
        terms = model.cycle_terms(batch, fake_b)
        fake_a = terms.pop("fake_a")
        # Zhu et al.'s generator loss is E[(D(G(x)) - 1)^2]; the core's lsgan has a factor 1/2.
        adv_b = 2 * self.adversarial.g_loss(model.discriminator.b(fake_b))
        adv_a = 2 * self.adversarial.g_loss(model.discriminator.a(fake_a))
        loss = adv_a + adv_b + model.cycle_weight * terms["cycle"]
        logs = {"g_ab": _num(adv_b), "g_ba": _num(adv_a), "cycle": _num(terms["cycle"])}
        if "identity" in terms:
            loss = loss + model.cycle_weight * model.identity_weight * terms["identity"]
            logs["identity"] = _num(terms["identity"])
        if "gc" in terms:
            loss = loss + model.gc_weight * terms["gc"]
            logs["gc"] = _num(terms["gc"])
        return loss, logs
