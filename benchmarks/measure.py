"""Timing, memory and FLOP helpers shared by the benchmark workers.

Why these and not wall-clock around arbitrary code: on CUDA every timed region ends with
``torch.cuda.synchronize()`` (kernels are asynchronous, so an unsynchronised timer measures
the launch, not the work), and memory peaks come from the kernel's own accounting
(``ru_maxrss``/``VmHWM`` for resident memory, ``max_memory_allocated`` for the CUDA caching
allocator) rather than from Python-level tracers, which do not see torch's allocations.
"""

from __future__ import annotations

import math
import os
import resource
import time
from collections.abc import Callable
from typing import Any

import torch

MIB = 2**20


def sync(device: torch.device) -> None:
    """Wait for queued kernels, so that the clock measures the work and not its launch."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], Any], device: torch.device) -> tuple[float, Any]:
    """Seconds one call of ``fn`` takes, synchronised on both ends, and its result."""
    sync(device)
    start = time.perf_counter()
    out = fn()
    sync(device)
    return time.perf_counter() - start, out


def best_of(fn: Callable[[], Any], device: torch.device, repeats: int, warmup: int = 1) -> float:
    """The fastest of ``repeats`` timed calls after ``warmup`` untimed ones.

    The minimum, not the mean: on a shared machine other processes only ever add time, so the
    fastest run is the best estimate of what the code itself costs.
    """
    for _ in range(warmup):
        timed(fn, device)
    return min(timed(fn, device)[0] for _ in range(max(1, repeats)))


def best_within(
    fn: Callable[[], Any], device: torch.device, repeats: int, budget_s: float, warmup: bool
) -> tuple[float, int]:
    """Best of up to ``repeats`` timed calls, stopping early once ``budget_s`` is spent.

    Keeps quick runs quick for the 10-second calls of the large models while cheap calls
    still get several repeats (one timed call under load is mostly noise). Returns the best
    time and how many calls were timed.
    """
    if warmup:
        timed(fn, device)
    times: list[float] = []
    while len(times) < max(1, repeats):
        times.append(timed(fn, device)[0])
        if sum(times) >= budget_s:
            break
    return min(times), len(times)


def matmul_gflops(
    device: torch.device, n: int, repeats: int, warmup: int = 2, dtype: torch.dtype = torch.float32
) -> float:
    """The machine's matrix-multiply rate in ``dtype``: a square ``n x n`` ``torch.mm``, best
    of runs.

    ``2 n^3`` floating point operations per product (one multiply and one add per term). On
    CUDA, TF32 is switched off so the fp32 figure is true fp32, like the convolutions it is
    compared with (the workers switch TF32 off for those too). For bf16 the inputs and the
    output are bfloat16 (what an autocast convolution or matmul computes with).
    """
    a = torch.randn(n, n, device=device, dtype=torch.float32).to(dtype)
    b = torch.randn(n, n, device=device, dtype=torch.float32).to(dtype)
    out = torch.empty(n, n, device=device, dtype=dtype)
    seconds = best_of(lambda: torch.mm(a, b, out=out), device, repeats, warmup)
    return 2.0 * n**3 / seconds / 1e9


def psnr_db(got: torch.Tensor, want: torch.Tensor, value_range: tuple[float, float]) -> float:
    """PSNR of ``got`` against ``want`` over the model's value range (peak = high - low), dB.

    Infinite where the two are identical (a figure a bf16 run should never give).
    """
    low, high = value_range
    mse = float((got.double() - want.double()).square().mean())
    if mse == 0.0:
        return float("inf")
    return 10.0 * math.log10((high - low) ** 2 / mse)


def count_flops(fn: Callable[[], Any]) -> int:
    """FLOPs of one call as ``torch.utils.flop_counter`` counts them.

    It counts matrix multiplies and convolutions (2 per multiply-accumulate), not the
    element-wise work (activations, normalisation, resampling): the figure is the work a
    matrix-multiply unit could do, which is what the comparison with ``torch.mm`` needs.
    """
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return int(counter.get_total_flops())


def strict_fp32(device: torch.device) -> None:
    """No TF32 on CUDA: the GPU's fp32 figures stay fp32 (convolutions and matmuls alike)."""
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True


# -- resident memory ------------------------------------------------------------------------


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mib() -> float | None:
    """Resident memory now (``VmRSS``), MiB; None off Linux."""
    kib = _status_kib("VmRSS")
    return None if kib is None else kib / 1024


def hwm_mib() -> float:
    """Peak resident memory of this process so far, MiB (``VmHWM``, else ``ru_maxrss``)."""
    kib = _status_kib("VmHWM")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kib / 1024


def reset_hwm() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux ``clear_refs`` 5), so later peaks are local.

    Used only to size the largest CPU batch inside one process; the reported memory peaks
    come from fresh processes (``ru_maxrss`` there starts at the baseline of that process).
    """
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def ru_maxrss_mib() -> float:
    """``getrusage(RUSAGE_SELF).ru_maxrss`` in MiB: the process's peak resident set."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def available_mib() -> float | None:
    """``MemAvailable`` from /proc/meminfo, MiB (what can be allocated without swapping)."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def cuda_peak_mib(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    return torch.cuda.max_memory_allocated(device) / MIB


def reset_cuda_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)


def is_oom(exc: BaseException) -> bool:
    """An out-of-memory failure (CUDA's own error, or the CPU allocator's)."""
    if isinstance(exc, torch.cuda.OutOfMemoryError | MemoryError):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text or "not enough memory" in text
    )
