"""Training with Krishna & Mueller's G loss (eq. 8); D keeps the core's adversarial loss (eq. 9).

``L_G = adversarial + w_s * style(x, x_s) + w_c * content(x, x_o) + w_tv * TV(x)``: the style
and content terms are taken per region (:mod:`zoo_stylecgan.losses`), x_o is the batch's
target (the slice whose map is the input) and x_s the batch's style slice, drawn by the
dataset from another patient (or a distant slice). With ``train.adversarial: bce`` the
adversarial terms are eqs. (8) and (9) with the non-saturating G form.
"""

from __future__ import annotations

from typing import Any

import torch

from zoo_core.plugin_api import ConfigError, DataError, GANTrainer, TotalVariation
from zoo_stylecgan.losses import SegmentLosses


def _num(x: torch.Tensor) -> float:
    return float(x.detach().float())


class StyleCGANTrainer(GANTrainer):
    def __init__(self, model, cfg, dataset, out_dir, model_id, **kwargs: Any) -> None:
        model_values = [float(v) for v in cfg.model.label_values]
        data_values = [float(v) for v in cfg.data.label_values]
        if model_values != data_values:
            raise ConfigError(
                f"model.label_values {model_values} and data.label_values {data_values} differ; "
                "the map's regions must mean the same to the data and the model."
            )
        super().__init__(model, cfg, dataset, out_dir, model_id, **kwargs)
        train = cfg.train
        self.weights = {
            "style": float(train.style_weight),
            "content": float(train.content_weight),
            "tv": float(train.tv_weight),
        }
        self.segment_losses = SegmentLosses.from_config(train, model.num_classes).to(self.device)
        self.feature_source = self.segment_losses.features.source
        self.tv = TotalVariation(power=2, reduction="mean")

    def generator_loss(self, batch):
        if "style" not in batch or "style_label" not in batch:
            raise DataError(
                "the style cGAN's batches need 'style' and 'style_label' (the style slice x_s "
                "and its map); train with the architecture's own dataset (zoo train ... --data "
                "DIR reads it)."
            )
        model = self.model
        fake = model.fake_batch(batch, generator=self.noise)
        adv = self.adversarial.g_loss(self.critic(fake, batch))
        terms = self.segment_losses(
            fake,
            batch["condition"],
            batch["style"],
            model.class_map(batch["style_label"]),
            content=batch["target"],
        )
        tv = self.tv(fake)
        loss = (
            adv
            + self.weights["style"] * terms["style"]
            + self.weights["content"] * terms["content"]
            + self.weights["tv"] * tv
        )
        logs = {
            "g_adv": _num(adv),
            "style": _num(terms["style"]),
            "content": _num(terms["content"]),
            "tv": _num(tv),
        }
        for name, (weight, term) in self.terms.items():  # extra core terms, if configured
            value = term(*self.term_inputs(name, term, fake, batch))
            loss = loss + weight * value
            logs[name] = _num(value)
        return loss, logs

    def extra_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"feature_source": self.feature_source}
        if self.feature_source.startswith("random"):  # the published card must say so
            state["card_notes"] = [
                "These weights were trained with a RANDOMLY initialised VGG-19 "
                f"({self.feature_source}): the style and content losses compared random "
                "features, not perceptual ones, so this is a demo, not Krishna & Mueller's method."
            ]
        return state
