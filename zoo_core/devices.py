"""Device names from users (``--device``, ``device=``) checked before torch sees them."""

from __future__ import annotations

from typing import Any

from zoo_core.errors import ConfigError

#: The device name that means "the GPU when there is one": every ``--device`` defaults to it.
AUTO = "auto"


def resolve_auto(device: Any) -> Any:
    """``"auto"`` as ``"cuda"`` when a CUDA GPU is present, else ``"cpu"``; any other value
    unchanged. MPS is never picked on its own: some 3D operations lack MPS kernels, so it is
    used only when asked for by name."""
    if device != AUTO:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def parse_device(device: Any) -> Any:
    """``device`` (a name, ``"auto"`` or a ``torch.device``) as a ``torch.device``; a
    ConfigError for a name torch does not know or a backend this machine lacks, instead of
    torch's RuntimeError from deep inside a call."""
    import torch

    device = resolve_auto(device)
    if isinstance(device, torch.device):
        parsed = device
    else:
        try:
            parsed = torch.device(device)
        except (RuntimeError, TypeError):
            raise ConfigError(
                f"unknown device {device!r}: use auto, cpu, cuda, cuda:N or mps."
            ) from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r}: this machine has no CUDA GPU; use --device cpu.")
    count = torch.cuda.device_count() if parsed.type == "cuda" else 0
    if parsed.type == "cuda" and parsed.index is not None and parsed.index >= count:
        raise ConfigError(f"device {device!r}: this machine has {count} CUDA GPU(s).")
    if parsed.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device {device!r}: MPS is not available here; use --device cpu.")
    return parsed
