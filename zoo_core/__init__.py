"""A model zoo of GANs for medical image synthesis.

``import zoo_core as zoo`` is cheap: nothing heavy (torch, huggingface_hub) is imported until a
function that needs it is called, so the CLI and plugin discovery stay fast.

>>> import zoo_core as zoo
>>> zoo.list_models("beers-*")                         # doctest: +SKIP
>>> model = zoo.load("beers-pggan-rop", pretrained=False)  # doctest: +SKIP
>>> images = model.generate(n=4, seed=0)                # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from zoo_core.hookspecs import PLUGIN_API_VERSION, hookimpl
from zoo_core.registry import ArchSpec, ModelSpec

__version__ = "0.1.0"

_LAZY = {
    "list_models": "zoo_core.api",
    "load": "zoo_core.api",
    "download": "zoo_core.api",
    "push": "zoo_core.api",
    "ship": "zoo_core.api",
    "build": "zoo_core.api",
    "model_card": "zoo_core.api",
    "model_config": "zoo_core.api",
    "generate": "zoo_core.generation",
    "SyntheticDataset": "zoo_core.generation",
    "train": "zoo_core.training",
    "evaluate": "zoo_core.metrics",
    "GANModel": "zoo_core.interfaces.model",
    "GANTrainer": "zoo_core.training",
    "ZooError": "zoo_core.errors",
}

__all__ = ["PLUGIN_API_VERSION", "ArchSpec", "ModelSpec", "hookimpl", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'zoo_core' has no attribute {name!r}")
    return getattr(import_module(module), name)
