"""Which floating-point precision a model runs in, chosen once for training and inference.

``fp32`` is plain float32. ``bf16`` runs under ``torch.autocast`` with bfloat16: several
times faster on CPUs with bf16 matrix units (AMX, AVX512-BF16) and on recent GPUs, with the
weights and the optimiser kept in float32. ``fp16`` is autocast with float16 and a gradient
scaler, for GPUs without bf16. ``auto`` picks the fastest of these that the device does well.
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import TYPE_CHECKING

from zoo_core.errors import ConfigError

if TYPE_CHECKING:
    import torch

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


@functools.cache
def cpu_has_fast_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (Intel AMX or AVX512-BF16).

    Without such units bf16 is emulated and slower than float32, so ``auto`` must not pick it.
    """
    try:
        flags = Path("/proc/cpuinfo").read_text()
        return "amx_bf16" in flags or "avx512_bf16" in flags
    except OSError:  # not Linux: ask oneDNN instead
        import torch

        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            return False


def resolve(precision: str, device: torch.device | str) -> torch.dtype | None:
    """The autocast dtype for ``precision`` on ``device`` (None: plain float32).

    A precision the device cannot run is refused by name rather than silently replaced.
    """
    import torch

    device = torch.device(device)
    name = str(precision).lower()
    if name not in PRECISIONS:
        raise ConfigError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}.")
    cuda = device.type == "cuda"
    if name == "auto":
        if cuda:
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.bfloat16 if device.type == "cpu" and cpu_has_fast_bf16() else None
    if name == "fp32":
        return None
    if name == "fp16":
        if not cuda:
            raise ConfigError(
                f"precision fp16 needs a CUDA GPU (device is {device.type}); use bf16 or fp32."
            )
        return torch.float16
    if cuda and not torch.cuda.is_bf16_supported():
        raise ConfigError("this GPU has no bf16; use precision fp16 (with a scaler) or fp32.")
    if device.type not in ("cpu", "cuda"):
        raise ConfigError(f"precision bf16 is supported on cpu and cuda, not {device.type}.")
    return torch.bfloat16


def autocast(device: torch.device | str, dtype: torch.dtype | None):
    """``torch.autocast`` for ``dtype``, or a no-op context for float32."""
    import torch

    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype)


def to_channels_last(module: torch.nn.Module) -> torch.nn.Module:
    """Store 2D and 3D convolution weights channels-last, where oneDNN and cuDNN are fastest.

    Activations follow the weights' layout, so the inputs need no conversion; the results
    are the same numbers in another memory order.
    """
    import torch

    formats = {4: torch.channels_last, 5: torch.channels_last_3d}
    with torch.no_grad():
        for param in module.parameters():
            if param.ndim in formats:  # Module.to refuses a mix of 2D and 3D convolutions
                param.data = param.data.contiguous(memory_format=formats[param.ndim])
    return module
