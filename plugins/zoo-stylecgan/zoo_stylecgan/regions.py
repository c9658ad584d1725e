"""Six-region maps from CT in Hounsfield units, for users without manual segmentations.

Krishna & Mueller condition G on a map of six regions drawn as gray values
{0, 50, 100, 150, 200, 230}. Without manual maps, thresholds on HU give a usable map: the body
is what is denser than air (holes filled, largest component), everything else is background,
and inside the body HU ranges separate the tissues. Two schemes:

* ``body`` (the paper's lung CT): background, air/lung (< -200 HU), fat (-200..-30),
  soft tissue (-30..100), contrast/blood (100..300), bone (>= 300);
* ``brain`` (a skull-stripped head CT, e.g. TotalSegmentator's 1 mm atlas whose outside is
  0 HU): background, CSF (< 15), white matter (15..33), grey matter (33..45),
  blood/dense (45..80), calcification/bone (>= 80).

Class k is drawn with gray value ``LABEL_VALUES[k]``. numpy/scipy only: no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from zoo_core.plugin_api import ConfigError, DataError


@dataclass(frozen=True)
class RegionScheme:
    """Region names in class order (0 is the background) and the HU bounds between them."""

    names: tuple[str, ...]
    #: Upper HU bounds of classes 1..4; class 5 is everything above the last bound.
    bounds: tuple[float, ...]
    #: A pixel belongs to the body when its HU exceeds this (before hole filling).
    body_threshold: float


SCHEMES = {
    "body": RegionScheme(
        ("background", "air/lung", "fat", "soft tissue", "contrast/blood", "bone"),
        (-200.0, -30.0, 100.0, 300.0),
        -500.0,
    ),
    # The atlas is skull-stripped with exactly 0 HU outside the brain.
    "brain": RegionScheme(
        ("background", "csf", "white matter", "grey matter", "blood/dense", "calcification/bone"),
        (15.0, 33.0, 45.0, 80.0),
        0.5,
    ),
}


def scheme(name: str) -> RegionScheme:
    try:
        return SCHEMES[name]
    except KeyError:
        raise ConfigError(
            f"data.region_scheme must be one of {', '.join(SCHEMES)}, not {name!r}."
        ) from None


def body_mask(hu: np.ndarray, threshold: float) -> np.ndarray:
    """The body of a 2D slice: above ``threshold``, holes filled, largest component kept.

    Hole filling puts enclosed air (lungs, sinuses, bowel gas) inside the body; keeping the
    largest component drops the table and noise outside it.
    """
    from scipy import ndimage

    mask = np.asarray(hu) > threshold
    if not mask.any():
        return mask
    labels, count = ndimage.label(mask)
    if count > 1:
        sizes = ndimage.sum(mask, labels, index=np.arange(1, count + 1))
        mask = labels == (1 + int(np.argmax(sizes)))
    return ndimage.binary_fill_holes(mask)


def region_map(hu: Any, scheme_name: str = "body") -> np.ndarray:
    """Class indices 0..5 (int64, same shape) of a 2D CT slice in HU.

    Accepts ``(H, W)`` or ``(1, H, W)``; 3D volumes are refused (maps are per slice because the
    body mask's hole filling is planar).
    """
    rules = scheme(scheme_name)
    arr = np.asarray(hu, dtype=np.float64)
    squeeze = arr.ndim == 3 and arr.shape[0] == 1
    if squeeze:
        arr = arr[0]
    if arr.ndim != 2:
        raise DataError(f"region maps are made per 2D slice, got an array of shape {arr.shape}.")
    inside = body_mask(arr, rules.body_threshold)
    index = 1 + np.digitize(arr, rules.bounds)  # 1..5 by HU
    index = np.where(inside, index, 0).astype(np.int64)
    return index[None] if squeeze else index


def to_gray(index: Any, values: list[float]) -> np.ndarray:
    """Class indices -> the gray values that draw them (0, 50, ..., 230)."""
    table = np.asarray(values, dtype=np.float64)
    return table[np.asarray(index, dtype=np.int64)]


def proportions(index: Any, num_classes: int = 6) -> np.ndarray:
    """Share of each class in a map (sums to 1)."""
    counts = np.bincount(np.asarray(index, dtype=np.int64).ravel(), minlength=num_classes)
    return counts / max(int(counts.sum()), 1)
