"""Histogram equalisation of Hounsfield units to [-1, 1], recorded so outputs map back to HU.

The paper equalises and normalises each scan and records the parameters "to enable results
to be converted back to original scale". Equalisation here is a piecewise-linear map through
the scan's cumulative histogram: every HU level present in the scan gets a distinct value in
[-1, 1] (strictly increasing), so the map is a bijection on the window and its inverse is
exact up to float rounding. The recorded parameters are the (level, value) knots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from zoo_core.errors import DataError


@dataclass
class HUEqualizer:
    """A recorded HU <-> [-1, 1] map: knots ``hu`` (increasing) and ``value`` (increasing)."""

    hu: np.ndarray
    value: np.ndarray

    @classmethod
    def fit(
        cls, volume_hu: np.ndarray, window: tuple[float, float], equalize: bool = True
    ) -> HUEqualizer:
        """Fit on a scan: its histogram within ``window`` (linear window if not ``equalize``)."""
        low, high = float(window[0]), float(window[1])
        if not low < high:
            raise DataError(f"data.hu_window must be [low, high] with low < high, got {window}")
        if not equalize:
            return cls(np.array([low, high]), np.array([-1.0, 1.0]))
        levels = np.rint(np.clip(np.asarray(volume_hu, dtype=np.float64), low, high))
        hu, counts = np.unique(levels, return_counts=True)
        if hu.size < 2:  # a constant scan: fall back to the linear window
            return cls(np.array([low, high]), np.array([-1.0, 1.0]))
        cdf = np.cumsum(counts, dtype=np.float64)
        # classic equalisation (cdf - cdf_min) / (N - cdf_min), stretched to [-1, 1]
        value = (cdf - cdf[0]) / (cdf[-1] - cdf[0]) * 2.0 - 1.0
        return cls(hu, value)

    def forward(self, volume_hu: np.ndarray) -> np.ndarray:
        """HU -> [-1, 1] (float32); values outside the fitted range saturate."""
        return np.interp(np.asarray(volume_hu, dtype=np.float64), self.hu, self.value).astype(
            np.float32
        )

    def inverse(self, values: np.ndarray) -> np.ndarray:
        """[-1, 1] -> HU (float32), through the same knots."""
        return np.interp(np.asarray(values, dtype=np.float64), self.value, self.hu).astype(
            np.float32
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able record, to keep next to generated volumes."""
        return {"hu": self.hu.tolist(), "value": self.value.tolist()}

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> HUEqualizer:
        return cls(np.asarray(record["hu"], dtype=np.float64), np.asarray(record["value"]))
