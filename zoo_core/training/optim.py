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
    _check_ranges(cfg, key)
    return factory(params, cfg)


def _check_ranges(cfg: Any, key: str) -> None:
    """Refuse settings torch would reject deep inside its constructor (or, for a learning rate
    of 0, silently accept and train nothing), naming the key and the range it needs."""
    if not float(cfg.lr) > 0:
        raise ConfigError(f"{key}.lr must be a positive number, not {cfg.lr}.")
    for name, value in (("eps", cfg.eps), ("weight_decay", cfg.weight_decay),
                        ("momentum", cfg.momentum)):  # fmt: skip
        if not float(value) >= 0:
            raise ConfigError(f"{key}.{name} must be >= 0, not {value}.")
    for i, beta in enumerate(cfg.betas):
        if not 0 <= float(beta) < 1:
            raise ConfigError(f"{key}.betas[{i}] must be in [0, 1), not {beta}.")


LR_SCHEDULES = ("constant", "linear", "exponential")


def lr_factor(
    schedule: str, step: int, decay_start: int, steps: int, decay_factor: float = 1.0
) -> float:
    """The learning-rate multiplier at ``step`` (0-based) of a run of ``steps``."""
    if schedule == "constant":
        return 1.0
    if schedule == "exponential":
        if decay_factor < 1.0:
            raise ConfigError(
                f"train.lr_decay_factor must be >= 1 (the rate is divided by it), not "
                f"{decay_factor}."
            )
        return decay_factor ** -max(0, step - decay_start)
    if schedule != "linear":
        raise ConfigError(
            f"train.lr_schedule: unknown schedule {schedule!r}; choose one of "
            f"{', '.join(LR_SCHEDULES)}."
        )
    if decay_start < 0:
        raise ConfigError(f"train.lr_decay_start must be >= 0, not {decay_start}.")
    if step <= decay_start:  # also every step of a run shorter than decay_start
        return 1.0
    return 1.0 - (step - decay_start) / (steps - decay_start)


def apply_lr_factor(optimizer: torch.optim.Optimizer, factor: float, floor: float = 0.0) -> None:
    """Scale every group's configured learning rate, not below ``floor`` (the rate is kept as
    ``initial_lr``, the key torch's schedulers use, so it travels with the optimiser's state
    in checkpoints)."""
    for group in optimizer.param_groups:
        group.setdefault("initial_lr", group["lr"])
        group["lr"] = max(group["initial_lr"] * factor, min(floor, group["initial_lr"]))
