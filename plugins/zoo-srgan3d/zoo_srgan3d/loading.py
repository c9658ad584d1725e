"""A model for the plugin's commands: published weights, a training checkpoint, or untrained."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoo_srgan3d.model import SRGAN3D


def load_model(
    model_id: str,
    *,
    checkpoint: str | Path | None = None,
    untrained: bool = False,
    source: str | None = None,
    device: str = "cpu",
) -> SRGAN3D:
    """``zoo.load`` unless a ``checkpoint`` from ``zoo train`` is given (or ``untrained``).

    A checkpoint carries its own run config, so the model is rebuilt exactly as it was
    trained; its model id must be ``model_id``.
    """
    from zoo_core.plugin_api import load, load_local

    if checkpoint is None:
        return load(model_id, pretrained=not untrained, device=device, source=source)
    return load_local(checkpoint, model_id=model_id, device=device)
