"""The progressive GAN's trainer: the core's GAN loop plus growing, fade-in and batch sizes.

Before every generator update :meth:`ProgressiveTrainer.on_step_start` asks the schedule
(a pure function of the step) where training is. When the level changes the model grows:
the new block joins the forward pass and the optimisers, and every earlier block keeps its
weights (they are the same modules). When fade-in ends, the old toRGB/fromRGB leave the
optimisers. The loss is Karras et al.'s: Wasserstein with gradient penalty plus the epsilon
drift term, critic and generator updated equally (n_critic 1).

The phase lives in the model's ``level``/``alpha`` buffers, so a checkpoint carries it; the
set of parameters in the optimisers is a function of that phase, so their saved state fits
the optimisers rebuilt on resume.
"""

from __future__ import annotations

from typing import Any

import torch

from zoo_core.plugin_api import GANTrainer, GradientPenalty, WassersteinLoss
from zoo_pggan.schedule import Phase, ProgressiveSchedule


def schedule_for(model: Any, train_cfg: Any) -> ProgressiveSchedule:
    return ProgressiveSchedule.from_config(model.resolutions, model.start_level, train_cfg)


class ProgressiveTrainer(GANTrainer):
    """:class:`zoo_core.training.GANTrainer` with the progressive schedule of Beers et al."""

    def __init__(self, model: Any, cfg: Any, *args: Any, **kwargs: Any) -> None:
        self.schedule = schedule_for(model, cfg.train)
        first = self.schedule.phase(0)
        # Start in the first phase, so the optimisers the base class builds are the right
        # ones (a resumed run overwrites the phase with the checkpoint's buffers).
        model.set_phase(first.level, first.alpha)
        self._wasserstein = WassersteinLoss()
        self._penalty = GradientPenalty(center=1.0)
        super().__init__(model, cfg, *args, **kwargs)
        if self.batch_size != first.batch_size and not kwargs.get("resume"):
            self.set_batch_size(first.batch_size)

    # -- the schedule ------------------------------------------------------------------------

    def current_phase(self) -> Phase:
        return self.schedule.phase(self.step)

    def on_step_start(self) -> None:
        phase = self.current_phase()
        model = self.model
        grew = phase.level != model.current_level
        regroup = grew or phase.fading != (model.current_alpha < 1.0)
        model.set_phase(phase.level, phase.alpha)
        if phase.batch_size != self.batch_size:
            self.set_batch_size(phase.batch_size)
        if regroup:
            reset = grew and bool(self.cfg.train.reset_optimizers_on_grow)
            self._rebuild_keeping_state(keep=not reset)

    def _rebuild_keeping_state(self, keep: bool) -> None:
        """Rebuild the optimisers for the new parameter set; carry Adam's moments of the
        parameters that stay unless a fresh start is asked for."""
        saved: dict[torch.nn.Parameter, dict] = {}
        if keep:
            for opt in (self.opt_g, self.opt_d):
                saved.update(opt.state.items())
        self.rebuild_optimizers()
        if keep:
            for opt in (self.opt_g, self.opt_d):
                for group in opt.param_groups:
                    for p in group["params"]:
                        if p in saved:
                            opt.state[p] = saved[p]

    # -- losses ------------------------------------------------------------------------------

    def discriminator_loss(self, batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        """WGAN-GP (lambda = train.gp_weight) + eps * E[D(x)^2] (eps = train.drift_weight)."""
        model, train = self.model, self.cfg.train
        real = batch["target"]
        with torch.no_grad():
            fake = model.fake_batch(batch, generator=self.noise)
        real_scores = self.critic(real, batch)
        fake_scores = self.critic(fake, batch)
        wasserstein = self._wasserstein.d_loss(real_scores, fake_scores)
        penalty = self._penalty(self.critic, real, fake, batch, generator=self.noise)
        drift = real_scores.float().pow(2).mean()
        loss = wasserstein + float(train.gp_weight) * penalty + float(train.drift_weight) * drift
        logs = {
            "d_wasserstein": float(wasserstein.detach()),
            "d_gp": float(penalty.detach()),
            "d_drift": float(drift.detach()),
            "level": float(model.current_level),
            "alpha": float(model.current_alpha),
        }
        return loss, logs

    def generator_loss(self, batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        fake = self.model.fake_batch(batch, generator=self.noise)
        loss = self._wasserstein.g_loss(self.critic(fake, batch))
        return loss, {"g_wasserstein": float(loss.detach())}

    # -- resume ------------------------------------------------------------------------------

    def extra_state(self) -> dict[str, Any]:
        return {
            "level": self.model.current_level,
            "alpha": self.model.current_alpha,
            "batch_size": int(self.batch_size),
        }

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Called on resume before weights and optimiser states are loaded: put the model in
        the checkpoint's phase and rebuild the optimisers over that phase's parameters, so
        the saved Adam moments fit them (the core restores the batch size itself)."""
        if "level" in state:
            self.model.set_phase(int(state["level"]), float(state["alpha"]))
            self.rebuild_optimizers()
