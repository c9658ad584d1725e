"""One code path for 1 process or many (torchrun): rank, world size and the few collectives,
and the networks' DDP wrappers.

With ``WORLD_SIZE > 1`` (set by ``torchrun``/``python -m torch.distributed.run``) the process
group is initialised with NCCL on CUDA and gloo on CPU; otherwise every collective is a no-op
and no network is wrapped. The trainer joins the group with :meth:`DistContext.join`, routes
the network it updates through its wrapper with :class:`PhasedNetworks` and leaves the group
with :meth:`DistContext.close`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


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
    def join(cls, device: str | torch.device | None = None) -> tuple[DistContext, torch.device]:
        """The context the environment describes, with the process group joined, and this
        process's device: ``device`` if given (a bare ``cuda`` becomes this rank's GPU), else
        :meth:`default_device`."""
        from zoo_core.devices import parse_device

        context = cls.from_env()
        chosen = parse_device(device) if device is not None else context.default_device()
        if context.enabled and chosen.type == "cuda" and chosen.index is None:
            chosen = torch.device("cuda", context.local_rank)
        context.init(chosen)
        return context, chosen

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


class PhaseDDP(DistributedDataParallel):
    """DDP that records whether its forward ran and lends out its module's attributes.

    Trainers of multi-network architectures call sub-networks directly
    (``model.discriminator.b(x)``); that bypasses DDP's forward, so DDP would not reduce the
    gradients. The trainer then averages them itself (``forward_used`` is False).
    """

    forward_used = False

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if torch.is_grad_enabled():
            self.forward_used = True
        return super().forward(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name == "module":
                raise
            return getattr(self.module, name)


class PhasedNetworks:
    """A model's generator and discriminator, each in a DDP wrapper when several processes
    train, with the network being updated routed through its wrapper.

    ``plain`` holds the unwrapped networks; :meth:`wrap` (re)builds the wrappers for the
    current networks and parameter lists (after progressive growing, say), :meth:`set_phase`
    swaps the model's attributes, and :meth:`params_missed` names the gradients DDP did not
    average.
    """

    def __init__(self, model: Any, dist_context: DistContext, device: torch.device):
        self.model = model
        self.dist = dist_context
        self.device = device
        self.plain: dict[str, nn.Module] = {}
        self.wrappers: dict[str, PhaseDDP] = {}
        self.g_params: list[nn.Parameter] = []
        self.d_params: list[nn.Parameter] = []
        self._paused: list[nn.Parameter] = []
        self.take_networks()

    def take_networks(self) -> None:
        """Read the model's current (unwrapped) generator and discriminator."""
        self.plain = {"generator": self.model.generator, "discriminator": self.model.discriminator}

    def wrap(self, g_params: list[nn.Parameter], d_params: list[nn.Parameter]) -> None:
        """DDP wrappers for the networks with trainable parameters (none in one process)."""
        self.g_params, self.d_params = g_params, d_params
        self.wrappers = {}
        if not self.dist.enabled:
            return
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        for name, module in self.plain.items():
            if any(p.requires_grad for p in module.parameters()):
                self.wrappers[name] = PhaseDDP(
                    module,
                    device_ids=device_ids,
                    # progressive growing, fade-ins and auxiliary heads leave parameters unused
                    find_unused_parameters=True,
                    broadcast_buffers=True,  # BatchNorm statistics follow rank 0
                )

    def set_phase(self, phase: str | None) -> None:
        """Route the network being updated through its DDP wrapper, the other one plainly.

        The frozen network runs as a plain module (and without parameter gradients) so that
        DDP never waits for gradients that its phase does not produce.
        """
        for p in self._paused:  # switch back on only what this switched off
            p.requires_grad_(True)
        self._paused = []
        if phase == "generator":
            generator_ids = {id(p) for p in self.g_params}
            self._paused = [p for p in self.d_params if id(p) not in generator_ids]
            for p in self._paused:
                p.requires_grad_(False)
        for name, module in self.plain.items():
            wrapped = self.wrappers.get(name) if phase == name else None
            setattr(self.model, name, wrapped or module)

    def params_missed(self, network: str, params: list[nn.Parameter]) -> list[nn.Parameter]:
        """The optimiser's parameters whose gradients DDP did not average in this backward:
        all of them when the wrapper's forward was bypassed, else those outside the wrapper."""
        if not self.dist.enabled:
            return []
        wrapper = self.wrappers.get(network)
        if wrapper is None or not wrapper.forward_used:
            return params
        wrapper.forward_used = False
        covered = {id(p) for p in self.plain[network].parameters()}
        return [p for p in params if id(p) not in covered]

    def sync_buffers(self, *modules: nn.Module | None) -> None:
        """Rank 0's buffers (BatchNorm statistics) everywhere, so every rank holds one model."""
        if self.dist.enabled:
            for module in (self.model, *modules):
                if module is not None:
                    self.dist.broadcast_(list(module.buffers()))
