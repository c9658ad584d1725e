"""Training state as tensors + JSON, so checkpoints stay safetensors and never pickle.

Optimiser states, the random number generators (torch, CUDA, numpy, Python, the trainer's
noise generator) and gradient scalers are split into a flat tensor group and a JSON part.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

JSON = dict[str, Any]


def optimizer_state(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], JSON]:
    """``opt.state_dict()`` as tensors named ``<param index>.<name>`` plus JSON for the rest."""
    state = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: JSON = {}
    for index, values in state["state"].items():
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{index}.{name}"] = value.detach().cpu()
            else:
                scalars[f"{index}.{name}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def load_optimizer_state(
    opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], info: JSON
) -> None:
    per_param: dict[int, dict[str, Any]] = {}
    for key, value in list(tensors.items()) + list(info.get("scalars", {}).items()):
        index, _, name = key.partition(".")
        per_param.setdefault(int(index), {})[name] = value
    opt.load_state_dict({"state": per_param, "param_groups": info["param_groups"]})


def rng_state(noise: torch.Generator) -> tuple[dict[str, torch.Tensor], JSON]:
    """Every random number generator a training step may draw from."""
    tensors = {"torch": torch.get_rng_state(), "noise": noise.get_state().cpu()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        tensors["cuda"] = torch.cuda.get_rng_state().cpu()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    tensors["numpy"] = torch.from_numpy(np.asarray(keys, dtype=np.int64))
    version, internal, gauss_next = random.getstate()
    info = {
        "numpy": [kind, int(pos), int(has_gauss), float(cached)],
        "python": [version, list(internal), gauss_next],
    }
    return tensors, info


def load_rng_state(noise: torch.Generator, tensors: dict[str, torch.Tensor], info: JSON) -> None:
    torch.set_rng_state(tensors["torch"].to(torch.uint8))
    noise.set_state(tensors["noise"].to(torch.uint8))
    if "cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["cuda"].to(torch.uint8))
    kind, pos, has_gauss, cached = info["numpy"]
    keys = tensors["numpy"].numpy().astype(np.uint32)
    np.random.set_state((kind, keys, pos, has_gauss, cached))
    version, internal, gauss_next = info["python"]
    random.setstate((version, tuple(internal), gauss_next))


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def scaler_state(scaler: torch.amp.GradScaler) -> JSON:
    state = scaler.state_dict()
    return {k: (v.item() if isinstance(v, torch.Tensor) else v) for k, v in state.items()}
