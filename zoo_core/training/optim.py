"""Optimisers by name, from a table: a config can only pick what this table holds."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from zoo_core.errors import ConfigError


def _adam(params, c):
    return torch.optim.Adam(params, lr=c.lr, betas=tuple(c.betas), eps=c.eps,
                            weight_decay=c.weight_decay)  # fmt: skip


def _adamw(params, c):
    return torch.optim.AdamW(params, lr=c.lr, betas=tuple(c.betas), eps=c.eps,
                             weight_decay=c.weight_decay)  # fmt: skip


def _rmsprop(params, c):
    return torch.optim.RMSprop(params, lr=c.lr, eps=c.eps, weight_decay=c.weight_decay,
                               momentum=c.momentum)  # fmt: skip


def _sgd(params, c):
    return torch.optim.SGD(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)


OPTIMIZERS = {"adam": _adam, "adamw": _adamw, "rmsprop": _rmsprop, "sgd": _sgd}


def build_optimizer(
    params: Iterable[torch.nn.Parameter], cfg: Any, key: str
) -> torch.optim.Optimizer:
    """The optimiser ``cfg.name`` over ``params``; ``key`` (``train.optimizer_g``) names errors."""
    params = [p for p in params if p.requires_grad]
    if not params:
        raise ConfigError(f"{key}: the model gives this optimiser no trainable parameters.")
    factory = OPTIMIZERS.get(str(cfg.name).lower())
    if factory is None:
        raise ConfigError(
            f"{key}.name: unknown optimiser {cfg.name!r}; choose one of {', '.join(OPTIMIZERS)}."
        )
    if len(cfg.betas) != 2:
        raise ConfigError(f"{key}.betas: two numbers are needed, got {list(cfg.betas)}.")
    return factory(params, cfg)
