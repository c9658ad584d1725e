"""Segmentation label maps: integer maps, one-hot channels and gray-value encodings.

Papers store label maps in different ways: Krishna & Mueller draw their six tissue classes as
the gray values {0, 50, 100, 150, 200, 230}; Beers et al. feed maps as extra channels. These
helpers convert between the three forms and refuse values that belong to no class, because a
silently wrong class index trains a model on the wrong organs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from zoo_core.errors import DataError


def _unknown(values: np.ndarray, allowed: Sequence[float], where: str) -> DataError:
    shown = ", ".join(f"{v:g}" for v in values[:8])
    more = f" (and {len(values) - 8} more)" if len(values) > 8 else ""
    return DataError(
        f"{where}: label values {shown}{more} belong to no class; expected one of "
        f"{', '.join(f'{v:g}' for v in allowed)}. Fix the map or data.label_values."
    )


def to_one_hot(
    labels: Any, num_classes: int, dim: int = 0, where: str = "label map"
) -> torch.Tensor:
    """Integer map with a size-1 channel at ``dim`` -> float one-hot with ``num_classes`` there.

    ``(1, H, W) -> (K, H, W)``; for a batch pass ``(N, 1, H, W)`` with ``dim=1``.
    """
    from monai.networks.utils import one_hot

    labels = torch.as_tensor(labels)
    if labels.shape[dim] != 1:
        raise DataError(
            f"{where}: an integer label map needs a single channel at dim {dim}, got shape "
            f"{tuple(labels.shape)}."
        )
    if labels.is_floating_point() and not torch.equal(labels, labels.round()):
        raise DataError(f"{where}: label values must be whole numbers (class indices).")
    labels = labels.long()
    bad = torch.unique(labels[(labels < 0) | (labels >= num_classes)])
    if bad.numel():
        raise _unknown(bad.numpy().astype(float), list(range(num_classes)), where)
    return one_hot(labels, num_classes, dtype=torch.float32, dim=dim)


def from_one_hot(onehot: Any, dim: int = 0) -> torch.Tensor:
    """One-hot (or per-class scores) -> int64 class map, keeping a size-1 channel at ``dim``."""
    return torch.as_tensor(onehot).argmax(dim=dim, keepdim=True)


def gray_to_index(gray: Any, values: Sequence[float], where: str = "label map") -> Any:
    """Map gray values (e.g. 0, 50, ..., 230) to class indices 0..K-1 by their position."""
    table = np.asarray(values, dtype=np.float64)
    is_tensor = isinstance(gray, torch.Tensor)
    arr = gray.detach().cpu().numpy() if is_tensor else np.asarray(gray)
    order = np.argsort(table)
    pos = np.clip(np.searchsorted(table[order], arr), 0, len(table) - 1)
    index = order[pos]
    found = table[index] == arr
    if not found.all():
        raise _unknown(np.unique(arr[~found]).astype(float), list(values), where)
    index = index.astype(np.int64)
    return torch.from_numpy(index) if is_tensor else index


def index_to_gray(index: Any, values: Sequence[float]) -> Any:
    """Class indices -> their gray values (the inverse of :func:`gray_to_index`)."""
    table = np.asarray(values)
    if isinstance(index, torch.Tensor):
        return torch.as_tensor(table, device=index.device)[index.long()]
    return table[np.asarray(index, dtype=np.int64)]
