"""Options several ``zoo`` commands share, so that they read and default the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

DEVICE_HELP = "auto (a CUDA GPU when present, else the CPU), cpu, cuda, cuda:N or mps."


def _resolve_device(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """``auto`` becomes the device it picks before the command runs, so commands (and
    plugins) that hand the name to ``torch`` directly never see ``auto``. ``--help`` is an
    eager option and exits before this runs, so help does not import torch."""
    from zoo_core.devices import resolve_auto

    return str(resolve_auto(value))


def device_option(**kwargs: Any) -> Callable[[click.Command], click.Command]:
    """``--device``, defaulting to ``auto`` on every command that has it."""
    settings: dict[str, Any] = {
        "default": "auto",
        "show_default": True,
        "help": DEVICE_HELP,
        "callback": _resolve_device,
    }
    return click.option("--device", **(settings | kwargs))
