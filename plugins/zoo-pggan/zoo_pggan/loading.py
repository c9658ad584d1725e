"""Open a progressive GAN from whatever the user has: an id, a repo, a checkpoint or a folder.

``zoo train`` leaves checkpoints, ``zoo pggan train-encoder`` leaves a folder that ``zoo push``
publishes, and published models load by id; the pggan commands take any of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zoo_core.plugin_api import ZooError


def save_folder(model: Any, out_dir: str | Path) -> Path:
    """``model.safetensors`` + ``config.yaml``: the folder form ``zoo push`` publishes."""
    from zoo_core.plugin_api import config_to_yaml, save_state_dict

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_state_dict(
        {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
        out / "model.safetensors",
        {"model_id": str(model.model_id or ""), "synthetic_generator": "true"},
    )
    (out / "config.yaml").write_text(config_to_yaml(model.config))
    return out


def open_model(ref: str, device: str = "cpu") -> Any:
    """``zoo.load(ref)``: an id, ORG/NAME, a ``.safetensors`` training checkpoint or a folder
    with ``model.safetensors`` and ``config.yaml``, checked to be a progressive GAN (the
    pggan commands use its encoder and its resolution levels)."""
    from zoo_core.plugin_api import load
    from zoo_pggan.model import ProgressiveGAN

    model = load(ref, device=device)
    if not isinstance(model, ProgressiveGAN):
        arch = model.card.zoo.get("architecture") if model.card is not None else None
        raise ZooError(f"{ref} is a {arch or type(model).__name__} model, not a pggan one.")
    return model
