"""A torch Dataset of synthetic samples, drawn on demand for another model's DataLoader.

Item ``i`` is drawn with the seed ``derive_seed(seed, i)``, so it is the same whichever worker
asks for it, in whatever order, with whatever batch size, and equals
``zoo.generate(model, n, seed=seed)[i]``. Nothing is kept beyond a cache of the last
``batch_size`` items, so a dataset of a million samples costs the memory of one batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch.utils.data import Dataset

from zoo_core.errors import ZooError
from zoo_core.generation.draw import resolve_model
from zoo_core.seeds import derive_seed

if TYPE_CHECKING:
    from zoo_core.interfaces.model import GANModel


class SyntheticDataset(Dataset):
    """``length`` synthetic items ``{"target": (C, *spatial)[, "condition": ...]}``.

    ``model_or_id`` is a model or a registered id (loaded once, here, so that every
    DataLoader worker uses the same weights, even for ``pretrained=False``).
    ``conditions`` (a tensor (M, C, *spatial) or any indexable of (C, *spatial) tensors, or of
    dicts with a ``"condition"`` key) is cycled through for conditional models: item ``i``
    uses condition ``i % M``. ``as_dict=False`` yields bare tensors. On a GPU use
    ``num_workers=0`` (CUDA cannot be used from forked workers).
    """

    def __init__(
        self,
        model_or_id: GANModel | str,
        length: int,
        seed: int = 0,
        conditions: Sequence[Any] | torch.Tensor | None = None,
        batch_size: int = 8,
        *,
        device: str | torch.device | None = None,
        as_dict: bool = True,
        **load_kwargs: Any,
    ) -> None:
        if not isinstance(length, int) or length < 1:
            raise ZooError(f"length must be a positive integer, not {length!r}.")
        if batch_size < 1:
            raise ZooError(f"batch_size must be positive, not {batch_size!r}.")
        self.model: GANModel = resolve_model(model_or_id, device, **load_kwargs)
        self.length = length
        self.seed = int(seed)
        self.conditions = conditions
        self.batch_size = batch_size
        self.as_dict = as_dict
        self._cache_start = -1
        self._cache: list[Any] = []

    def __len__(self) -> int:
        return self.length

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()  # spawned workers get the weights, not the cache
        state["_cache"], state["_cache_start"] = [], -1
        return state

    def _condition(self, index: int) -> torch.Tensor:
        if self.conditions is None:
            raise ZooError(
                f"{self.model.model_id or type(self.model).__name__} is conditional: "
                "pass conditions=<tensor (M, C, *spatial) or a dataset of them>."
            )
        item = self.conditions[index % len(self.conditions)]
        if isinstance(item, dict):
            item = item["condition"]
        return torch.as_tensor(item)

    def _draw(self, index: int) -> Any:
        model = self.model
        seed = derive_seed(self.seed, index)
        if model.conditional:
            condition = self._condition(index)
            sample = model.generate(condition=condition[None], seed=[seed])[0].cpu()
            if not self.as_dict:
                return sample
            return {"target": sample, "condition": condition}
        sample = model.generate(n=1, seed=[seed])[0].cpu()
        return {"target": sample} if self.as_dict else sample

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError(f"index {index} out of range for {self.length} synthetic samples")
        start = index - index % self.batch_size
        if start != self._cache_start:
            # Fill the batch that holds this index: sequential readers (a DataLoader without
            # shuffle, a worker handed a batch of consecutive indices) draw each item once.
            stop = min(start + self.batch_size, self.length)
            self._cache = [None] * (stop - start)
            self._cache_start = start
        slot = index - start
        if self._cache[slot] is None:
            self._cache[slot] = self._draw(index)
        return self._cache[slot]
