"""Training checkpoints as one safetensors file, so resuming never unpickles anything.

Tensors are stored under a group prefix (``model/``, ``ema/``, ``optim_g/`` ...); everything
else (step, RNG states, optimiser hyper-parameters, the run config) is JSON or YAML in the
file's string metadata. ``zoo push`` publishes the ``model`` group, with the EMA generator
weights in place of the raw ones when training kept an EMA.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zoo_core.errors import ZooError
from zoo_core.weights import load_state_dict, read_metadata, save_state_dict

FORMAT = "zoo-checkpoint-v1"
SEPARATOR = "/"


def write(
    path: str | Path,
    groups: dict[str, dict[str, Any]],
    *,
    model_id: str,
    config_yaml: str,
    state: dict[str, Any] | None = None,
) -> Path:
    """Write tensor groups and JSON-able ``state`` atomically to ``path``."""
    tensors = {}
    for group, tensors_in_group in groups.items():
        for key, value in tensors_in_group.items():
            tensors[f"{group}{SEPARATOR}{key}"] = value
    metadata = {
        "format": FORMAT,
        "model_id": model_id,
        "config": config_yaml,
        "state": json.dumps(state or {}),
    }
    return save_state_dict(tensors, path, metadata)


def read_info(path: str | Path) -> dict[str, Any]:
    """``info`` of :func:`read` (model_id, config YAML, state) from the file's header only.

    Raises :class:`~zoo_core.errors.CorruptWeightsError` for an empty or truncated file (the
    header lists every tensor's extent, so a cut-short file fails here already).
    """
    path = Path(path)
    if not path.is_file():
        raise ZooError(f"checkpoint {path} does not exist.")
    metadata = read_metadata(path)
    if metadata.get("format") != FORMAT:
        raise ZooError(
            f"{path} is not a zoo training checkpoint (no '{FORMAT}' marker); "
            "push a folder with model.safetensors and config.yaml instead."
        )
    return {
        "model_id": metadata["model_id"],
        "config": metadata["config"],
        "state": json.loads(metadata.get("state", "{}")),
    }


def read(path: str | Path) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Return ``(groups, info)``; ``info`` has model_id, config (YAML text) and state."""
    info = read_info(path)
    groups: dict[str, dict[str, Any]] = {}
    for key, value in load_state_dict(path).items():
        group, _, name = key.partition(SEPARATOR)
        groups.setdefault(group, {})[name] = value
    return groups, info


def inference_weights(groups: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The model's state dict, with EMA weights (when kept) in place of the raw ones."""
    weights = dict(groups.get("model", {}))
    weights.update(groups.get("ema", {}))
    return weights
