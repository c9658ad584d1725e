"""Data order and per-sample randomness that depend only on (seed, epoch, position).

The trainer draws each epoch's order from a seeded :class:`DistributedSampler` (one code path
for 1 or many processes) and gives every sample its own seed: the dataset's random choices
(patch corners, augmentation) are made under that seed, whichever DataLoader worker loads the
sample and whether or not the run was resumed half-way through the epoch. The main process's
random streams are left untouched, so the model's randomness does not depend on the workers.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, DistributedSampler

from zoo_core.seeds import sample_seed
from zoo_core.training.state import seed_everything


def epoch_keys(
    dataset: Dataset, seed: int, epoch: int, rank: int, world_size: int, start: int
) -> list[tuple[int, int]]:
    """``(index, sample seed)`` for this rank's share of an epoch, from position ``start``."""
    sampler = DistributedSampler(
        dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=seed, drop_last=True
    )
    sampler.set_epoch(epoch)
    indices = list(sampler)
    return [(index, sample_seed(seed, epoch, rank, p)) for p, index in enumerate(indices)][start:]


@contextmanager
def seeded(seed: int):
    """Seed torch (CPU), numpy and ``random`` inside the block, restoring them afterwards."""
    torch_state = torch.get_rng_state()
    numpy_state = np.random.get_state()
    python_state = random.getstate()
    seed_everything(seed)
    try:
        yield
    finally:
        torch.set_rng_state(torch_state)
        np.random.set_state(numpy_state)
        random.setstate(python_state)


class SeededItems(Dataset):
    """``dataset[index]`` computed under the sample's own seed; keys are (index, seed)."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, key: tuple[int, int]) -> Any:
        index, seed = key
        with seeded(seed):
            return self.dataset[index]
