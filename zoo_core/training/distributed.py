"""One code path for 1 process or many (torchrun): rank, world size and the few collectives.

With ``WORLD_SIZE > 1`` (set by ``torchrun``/``python -m torch.distributed.run``) the process
group is initialised with NCCL on CUDA and gloo on CPU; otherwise every collective is a no-op.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


@dataclass
class DistContext:
    world_size: int = 1
    rank: int = 0
    local_rank: int = 0
    owns_group: bool = False

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> DistContext:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        return cls(world, rank, local)

    def default_device(self) -> torch.device:
        if torch.cuda.is_available():
            return torch.device("cuda", self.local_rank if self.enabled else 0)
        return torch.device("cpu")

    def init(self, device: torch.device) -> None:
        """Join the process group (unless the caller already did)."""
        if not self.enabled or dist.is_initialized():
            return
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        self.owns_group = True

    def close(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()
            self.owns_group = False

    # -- collectives (no-ops in one process) -------------------------------------------------

    def any_true(self, flag: bool, device: torch.device) -> bool:
        """True on every rank if it is true on any rank (NaN seen, Ctrl-C pressed...)."""
        if not self.enabled:
            return flag
        value = torch.tensor([1.0 if flag else 0.0], device=device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item() > 0)

    def mean(self, values: dict[str, float], device: torch.device) -> dict[str, float]:
        if not self.enabled or not values:
            return values
        keys = sorted(values)
        tensor = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=device)
        dist.all_reduce(tensor)
        return {k: float(v) / self.world_size for k, v in zip(keys, tensor.tolist(), strict=True)}

    def gather(self, obj: Any) -> list[Any]:
        if not self.enabled:
            return [obj]
        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def broadcast_(self, tensors: list[torch.Tensor]) -> None:
        """Overwrite every rank's tensors with rank 0's (buffers such as BatchNorm statistics)."""
        if not self.enabled:
            return
        for tensor in tensors:
            dist.broadcast(tensor.data, src=0)

    def all_reduce_grads(self, params: list[torch.nn.Parameter]) -> None:
        """Average gradients of parameters that no DDP wrapper covers."""
        if not self.enabled:
            return
        for p in params:
            if p.grad is not None:
                dist.all_reduce(p.grad)
                p.grad.div_(self.world_size)

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()
