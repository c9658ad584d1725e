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


DTYPES = ("fp32", "bf16", "fp16", "auto")


def dtype_option(**kwargs: Any) -> Callable[[click.Command], click.Command]:
    """``--dtype``: the precision the model runs in (outputs stay float32)."""
    settings: dict[str, Any] = {
        "type": click.Choice(DTYPES, case_sensitive=False),
        "default": "fp32",
        "show_default": True,
        "help": "Precision to run the model in: bf16 is faster on CPUs with AMX (up to "
        "several times) or AVX512-BF16 (about 2x) and on recent GPUs, fp16 is for GPUs "
        "without bf16, auto picks the fastest the device does well. Outputs are float32 "
        "either way.",
    }
    return click.option("--dtype", **(settings | kwargs))
