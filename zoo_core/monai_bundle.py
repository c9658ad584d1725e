"""A zoo model as MONAI bundle tools see it: a network and its ``network_data_format``.

``verify_network(card)`` runs ``monai.bundle.verify_net_in_out`` with the card's front
matter as the bundle metadata and :class:`MonaiNetwork` as the network, so the card's I/O
block is checked by MONAI itself against what the model really returns.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class MonaiNetwork(nn.Module):
    """``forward(image) -> pred`` in the shapes the card's ``network_data_format`` states.

    The input is what :mod:`zoo_core.cards_hub` says ``inputs.image`` is: the condition of a
    conditional model, one class index per sample ``(N, 1)``, or one number in [0, 1) per
    sample ``(N, 1)`` that seeds an unconditional model's sample.
    """

    def __init__(
        self, model_id: str, pretrained: bool = False, overrides: list[str] | None = None
    ) -> None:
        super().__init__()
        from zoo_core.api import load

        self.model = load(model_id, pretrained=pretrained, overrides=overrides)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        model = self.model
        if not model.conditional:
            seeds = (image.reshape(image.shape[0], -1)[:, 0].double() * 2**31).long().tolist()
            return model.generate(n=len(seeds), seed=seeds)
        if model.condition_kind == "class":
            return model.generate(condition=image.reshape(image.shape[0], -1)[:, 0].long(), seed=0)
        if model.condition_kind == "labels":  # a class map holds integers, not intensities
            image = image.round()
        return model.generate(condition=image, seed=0)


def verify_network(
    metadata: dict[str, Any],
    *,
    pretrained: bool = False,
    overrides: list[str] | None = None,
    device: str = "cpu",
) -> None:
    """MONAI's network check on a card's front matter (raises ``ValueError`` on a mismatch)."""
    from monai.bundle import verify_net_in_out

    config = {
        "network": {
            "_target_": f"{__name__}.MonaiNetwork",
            "model_id": metadata["zoo"]["id"],
            "pretrained": pretrained,
            "overrides": overrides,
        }
    }
    verify_net_in_out(net_id="network", meta_file=metadata, config_file=config, device=device)
