"""Open a progressive GAN from whatever the user has: an id, a repo, a checkpoint or a folder.

``zoo train`` leaves checkpoints, ``zoo pggan train-encoder`` leaves a folder that ``zoo push``
publishes, and published models load by id; the pggan commands take any of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zoo_core.errors import ZooError


def save_folder(model: Any, out_dir: str | Path) -> Path:
    """``model.safetensors`` + ``config.yaml``: the folder form ``zoo push`` publishes."""
    from zoo_core import config as zoo_config
    from zoo_core.weights import save_state_dict

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_state_dict(
        {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
        out / "model.safetensors",
        {"model_id": str(model.model_id or ""), "synthetic_generator": "true"},
    )
    (out / "config.yaml").write_text(zoo_config.to_yaml(model.config))
    return out


def open_model(ref: str, device: str = "cpu", model_id: str | None = None) -> Any:
    """A model from an id or ORG/NAME (``zoo.load``), a ``.safetensors`` training checkpoint,
    or a folder with ``model.safetensors`` and ``config.yaml``."""
    import torch

    from zoo_core import api, checkpoint, registry
    from zoo_core import config as zoo_config
    from zoo_core.weights import load_state_dict

    path = Path(ref)
    if path.is_file():
        groups, info = checkpoint.read(path)
        weights = checkpoint.inference_weights(groups)
        config_text, model_id = info["config"], model_id or info["model_id"]
    elif path.is_dir():
        if not (path / "model.safetensors").is_file() or not (path / "config.yaml").is_file():
            raise ZooError(f"{path} has no model.safetensors and config.yaml.")
        from zoo_core.weights import read_metadata

        weights = load_state_dict(path / "model.safetensors")
        config_text = (path / "config.yaml").read_text()
        model_id = model_id or read_metadata(path / "model.safetensors").get("model_id") or None
    else:
        return api.load(ref, device=device)
    arch = registry.get_registry().architecture("pggan")
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        handle.write(config_text)
    try:
        cfg = zoo_config.load(arch, handle.name)
    finally:
        Path(handle.name).unlink()
    model = api.build("pggan", cfg)
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise ZooError(
            f"{path} does not fit the pggan config stored with it: missing {sorted(missing)[:4]}, "
            f"unexpected {sorted(unexpected)[:4]}."
        )
    model.model_id = model_id
    return model.to(torch.device(device)).eval()
