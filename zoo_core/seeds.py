"""Seeds derived from a run's seed: the zoo's seed mixers, in one place.

Per-item seeds make results independent of batch sizes, worker counts and resuming:
generating item ``i`` of a run seeded with ``s`` (a sample, a block call, a condition) uses
:func:`derive_seed` ``(s, i)``, and every new use of a derived seed should too. Training's
per-sample seeds (:func:`sample_seed`, the data order of :mod:`zoo_core.training.data`) are an
older mixer of four numbers, kept as it is because recorded training runs (the model cards'
figures and their commands) depend on its exact values.
"""

from __future__ import annotations

import numpy as np

_MASK = 2**63 - 1


def derive_seed(seed: int, index: int) -> int:
    """A well-mixed 63-bit seed for item ``index`` of a run seeded with ``seed``.

    numpy's SeedSequence hashes the pair, so neighbouring indices get unrelated streams
    (``seed + index`` would make run 0's item 1 equal to run 1's item 0).
    """
    state = np.random.SeedSequence([int(seed) & 0xFFFFFFFFFFFFFFFF, int(index)]).generate_state(
        1, dtype=np.uint64
    )
    return int(state[0] >> np.uint64(1))


def sample_seed(seed: int, epoch: int, rank: int, position: int) -> int:
    """A well-mixed 63-bit seed for one sample of one rank's training epoch."""
    value = (seed * 6364136223846793005 + epoch * 1442695040888963407) & _MASK
    value = (value ^ (rank * 2654435761 + position * 40503 + 0x9E3779B97F4A7C15)) & _MASK
    return (value * 0xBF58476D1CE4E5B9 >> 3) & _MASK
