"""A model for the plugin's commands: published weights, a training checkpoint, or untrained."""

from __future__ import annotations

import tempfile
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
    import torch

    from zoo_core import api, cards
    from zoo_core import checkpoint as ckpt
    from zoo_core import config as zoo_config
    from zoo_core.errors import ZooError
    from zoo_core.registry import get_registry

    if checkpoint is None:
        return api.load(model_id, pretrained=not untrained, device=device, source=source)
    groups, info = ckpt.read(checkpoint)
    if info["model_id"] != model_id:
        raise ZooError(f"{checkpoint} is a checkpoint of {info['model_id']!r}, not {model_id!r}.")
    spec = api.model_spec(model_id)
    arch = get_registry().architecture(spec.architecture)
    with tempfile.TemporaryDirectory(prefix="zoo-srgan3d-") as tmp:
        config_path = Path(tmp) / "config.yaml"
        config_path.write_text(info["config"])
        cfg = zoo_config.load(arch, config_path)
    model = api.build(spec.architecture, cfg)
    model.load_state_dict(ckpt.inference_weights(groups), strict=True)
    model.model_id = model_id
    model.card = cards.read(spec.card_path())
    model.weights_info = {"checkpoint": str(checkpoint)}
    return model.to(torch.device(device)).eval()
