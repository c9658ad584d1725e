"""Intensity normalisation to the models' [-1, 1] range, each with its exact inverse.

Generated images are only useful in physical units (Hounsfield units for CT), so every
transform records its parameters (``to_dict``, which travels in the provenance JSON) and
``inverse`` maps model outputs back. Data-dependent transforms (min-max, MR percentiles,
histogram equalisation) are *fitted* per image: ``fit(x)`` returns a new, fitted transform and
leaves the template unchanged, so one template built from the config serves a whole dataset.

Transforms accept numpy arrays or torch tensors and return the same kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from zoo_core.errors import ConfigError, DataError


def _as_numpy(x: Any) -> tuple[np.ndarray, Any]:
    """numpy view of ``x`` plus a function that converts a result back to ``x``'s kind."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        torch = None
    if torch is not None and isinstance(x, torch.Tensor):
        device, dtype = x.device, x.dtype if x.is_floating_point() else torch.float32
        return x.detach().cpu().numpy(), lambda y: torch.as_tensor(y, dtype=dtype, device=device)
    arr = np.asarray(x)
    dtype = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float32
    return arr, lambda y: np.asarray(y, dtype=dtype)


CHUNK = 1 << 22
"""Voxels per float64 pass: 32 MiB of temporaries instead of copies of a whole 600 MB CT."""


def _flat(arr: np.ndarray) -> tuple[np.ndarray, str]:
    """A 1D view of a C- or Fortran-contiguous array (nibabel's arrays are Fortran) + order."""
    order = "F" if arr.flags.f_contiguous and not arr.flags.c_contiguous else "C"
    return arr.ravel(order=order), order


def _by_chunks(func: Callable[[np.ndarray], np.ndarray], arr: np.ndarray) -> np.ndarray:
    """``func`` (element-wise, on float64) applied ``CHUNK`` voxels at a time.

    Same values as ``func(arr.astype(np.float64))`` cast to the output dtype, but the float64
    temporaries are one chunk, not the whole volume: on a 512x512x300 CT in float32 that is
    the difference between +1.2 GiB and +0.1 GiB. The result is float32 for float32 (or
    integer) input, float64 for float64 input.
    """
    if not (arr.flags.c_contiguous or arr.flags.f_contiguous):
        arr = np.ascontiguousarray(arr)
    dtype = np.float64 if arr.dtype == np.float64 else np.float32
    flat_in, order = _flat(arr)
    out = np.empty(arr.shape, dtype=dtype, order=order)
    flat_out = out.ravel(order=order)
    for start in range(0, flat_in.size, CHUNK):
        part = slice(start, start + CHUNK)
        flat_out[part] = func(flat_in[part].astype(np.float64))
    return out


class IntensityTransform:
    """Base: identity. Subclasses map physical values to [-1, 1] and back."""

    kind: ClassVar[str] = "none"

    def fit(self, x: Any) -> IntensityTransform:
        """A copy fitted to ``x`` (this one for transforms with fixed parameters)."""
        return self

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def _inverse(self, y: np.ndarray) -> np.ndarray:
        return y

    def forward(self, x: Any) -> Any:
        arr, back = _as_numpy(x)
        return back(_by_chunks(self._forward, arr))

    def inverse(self, y: Any) -> Any:
        arr, back = _as_numpy(y)
        return back(_by_chunks(self._inverse, arr))

    __call__ = forward

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind}


def _linear(x: np.ndarray, low: float, high: float) -> np.ndarray:
    if high <= low:  # a constant image: everything goes to the bottom of the range
        return np.full_like(x, -1.0)
    return 2.0 * (np.clip(x, low, high) - low) / (high - low) - 1.0


def _unlinear(y: np.ndarray, low: float, high: float) -> np.ndarray:
    return (np.clip(y, -1.0, 1.0) + 1.0) / 2.0 * (high - low) + low


@dataclass
class CTWindow(IntensityTransform):
    """Hounsfield window: clip to ``[low, high]`` HU, then scale linearly to [-1, 1]."""

    low: float = -1000.0
    high: float = 1000.0
    kind: ClassVar[str] = "ct"

    def __post_init__(self) -> None:
        if not self.high > self.low:
            raise ConfigError(
                f"data.hu_window must be [low, high] with low < high, not "
                f"[{self.low}, {self.high}]."
            )

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return _linear(x, self.low, self.high)

    def _inverse(self, y: np.ndarray) -> np.ndarray:
        return _unlinear(y, self.low, self.high)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "low": float(self.low), "high": float(self.high)}


@dataclass
class MinMax(IntensityTransform):
    """Scale the image's own [min, max] to [-1, 1] (fitted per image)."""

    low: float | None = None
    high: float | None = None
    kind: ClassVar[str] = "minmax"

    def fit(self, x: Any) -> MinMax:
        arr, _ = _as_numpy(x)
        return MinMax(float(arr.min()), float(arr.max()))

    def _need_fit(self) -> tuple[float, float]:
        if self.low is None or self.high is None:
            raise DataError("MinMax transform used before fit(); call .fit(image) first.")
        return self.low, self.high

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return _linear(x, *self._need_fit())

    def _inverse(self, y: np.ndarray) -> np.ndarray:
        return _unlinear(y, *self._need_fit())

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "low": self.low, "high": self.high}


@dataclass
class MRNormalize(MinMax):
    """MR: clip at the image's ``percentiles`` (robust to bright outliers), scale to [-1, 1]."""

    percentiles: tuple[float, float] = (0.5, 99.5)
    kind: ClassVar[str] = "mr"

    def fit(self, x: Any) -> MRNormalize:
        arr, _ = _as_numpy(x)
        low, high = np.percentile(arr, self.percentiles)
        return MRNormalize(float(low), float(high), tuple(self.percentiles))

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "percentiles": [float(p) for p in self.percentiles]}


MAX_HISTOGRAM_BINS = 1 << 24
"""Widest integer range counted with ``np.bincount`` (128 MiB of counts); wider data is sorted."""


def _chunks(arr: np.ndarray) -> Iterator[np.ndarray]:
    """Flat float64 pieces of ``arr`` (``CHUNK`` voxels each), without copying the whole."""
    if not (arr.flags.c_contiguous or arr.flags.f_contiguous):
        arr = np.ascontiguousarray(arr)
    flat, _ = _flat(arr)
    for start in range(0, flat.size, CHUNK):
        yield flat[start : start + CHUNK].astype(np.float64)


def _order_statistics(
    arr: np.ndarray, clip: tuple[float, float] | None, ranks: np.ndarray
) -> np.ndarray:
    """``np.sort(np.clip(arr.astype(float64).ravel(), *clip))[ranks]``, without that sort.

    Quantiles only need how many voxels hold each value. CT is integer HU (stored int16, read
    as float32), so for integer-valued data the counts come from one ``np.bincount`` pass over
    chunks: O(n), a few MiB of memory, exact. Other data fall back to sorting a copy in the
    input's own float dtype (no float64 copy of a float32 volume). Both give exactly the
    values of the float64 sort.
    """
    if arr.size == 0:
        raise DataError("HistogramEqualize.fit got an empty image.")
    low = high = None
    integral = True
    for part in _chunks(arr):
        if clip is not None:
            np.clip(part, *clip, out=part)
        if not np.isfinite(part).all():
            integral = False
            break
        integral = integral and bool(np.all(np.floor(part) == part))
        lo, hi = float(part.min()), float(part.max())
        low = lo if low is None else min(low, lo)
        high = hi if high is None else max(high, hi)
    if integral and high - low < MAX_HISTOGRAM_BINS:
        counts = np.zeros(int(high - low) + 1, dtype=np.int64)
        for part in _chunks(arr):
            if clip is not None:
                np.clip(part, *clip, out=part)
            counts += np.bincount((part - low).astype(np.int64), minlength=len(counts))
        present = np.flatnonzero(counts)
        cumulative = np.cumsum(counts[present])
        return low + present[np.searchsorted(cumulative, ranks, side="right")].astype(np.float64)
    dtype = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float64
    ordered = np.array(arr, dtype=dtype).ravel()
    ordered.sort()
    picked = ordered[ranks].astype(np.float64)
    # Clipping is monotone, so clipping the picked values equals picking from the clipped
    # sort, and done in float64 it keeps the clip bounds exact.
    return np.clip(picked, *clip) if clip is not None else picked


@dataclass
class HistogramEqualize(IntensityTransform):
    """Histogram equalisation to [-1, 1] with a recorded, exactly invertible mapping.

    Fitting records ``values``, the image's quantiles at ``bins + 1`` evenly spaced levels
    (after clipping to ``clip``, e.g. the HU window). The forward map is the piecewise-linear
    empirical CDF through (value, level) and the inverse is the same polyline read the other
    way, so ``inverse(forward(x)) == x`` for every x inside the fitted range (Mangalagiri et
    al. record these parameters "to enable results to be converted back to original scale").
    Repeated quantiles (e.g. a large air background) are merged into one knot at the middle of
    their levels, which keeps the polyline strictly increasing.
    """

    values: list[float] = field(default_factory=list)
    levels: list[float] = field(default_factory=list)
    bins: int = 1024
    clip: tuple[float, float] | None = None
    kind: ClassVar[str] = "histeq"

    def fit(self, x: Any) -> HistogramEqualize:
        arr, _ = _as_numpy(x)
        q = np.linspace(0.0, 1.0, self.bins + 1)
        n = arr.size
        position = q * (n - 1)
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, n - 1)
        frac = position - below
        ordered = _order_statistics(arr, self.clip, np.concatenate([below, above]))
        low, high = ordered[: len(q)], ordered[len(q) :]
        quantiles = low * (1 - frac) + high * frac
        values, first, counts = np.unique(quantiles, return_index=True, return_counts=True)
        levels = q[first] + (counts - 1) / (2.0 * self.bins)  # middle of each repeated run
        if len(values) == 1:  # constant image
            levels = np.array([0.0])
        return HistogramEqualize(
            values.tolist(), (2.0 * levels - 1.0).tolist(), self.bins, self.clip
        )

    def _knots(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.values:
            raise DataError("HistogramEqualize used before fit(); call .fit(image) first.")
        return np.asarray(self.values), np.asarray(self.levels)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        values, levels = self._knots()
        if len(values) == 1:
            return np.full_like(x, -1.0)
        return np.interp(x, values, levels, left=-1.0, right=1.0)

    def _inverse(self, y: np.ndarray) -> np.ndarray:
        values, levels = self._knots()
        if len(values) == 1:
            return np.full_like(y, values[0])
        return np.interp(y, levels, values)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "bins": self.bins,
            "clip": list(self.clip) if self.clip is not None else None,
            "values": [float(v) for v in self.values],
            "levels": [float(v) for v in self.levels],
        }


def from_dict(record: dict[str, Any]) -> IntensityTransform:
    """Rebuild a (fitted) transform from its ``to_dict()`` record, e.g. read from provenance."""
    kind = record.get("kind", "none")
    if kind == "none":
        return IntensityTransform()
    if kind == "ct":
        return CTWindow(record["low"], record["high"])
    if kind == "minmax":
        return MinMax(record.get("low"), record.get("high"))
    if kind == "mr":
        return MRNormalize(record.get("low"), record.get("high"), tuple(record["percentiles"]))
    if kind == "histeq":
        clip = record.get("clip")
        return HistogramEqualize(
            list(record["values"]),
            list(record["levels"]),
            int(record["bins"]),
            tuple(clip) if clip is not None else None,
        )
    raise ConfigError(f"unknown intensity transform kind {kind!r} in a recorded transform.")


INTENSITIES = ("none", "minmax", "ct", "mr")


def intensity_transform(data_cfg: Any) -> IntensityTransform:
    """The (unfitted) transform a data config asks for: ``data.intensity`` and friends.

    ``data.histogram_equalize`` replaces the linear scaling by equalisation; with
    ``intensity: ct`` the values are first clipped to ``data.hu_window``.
    """
    kind = data_cfg.intensity
    if kind not in INTENSITIES:
        raise ConfigError(f"data.intensity must be one of {', '.join(INTENSITIES)}, not {kind!r}.")
    window = tuple(float(v) for v in data_cfg.hu_window)
    if len(window) != 2:
        raise ConfigError(f"data.hu_window must be [low, high], not {list(window)}.")
    if getattr(data_cfg, "histogram_equalize", False):
        return HistogramEqualize(bins=1024, clip=window if kind == "ct" else None)
    if kind == "ct":
        return CTWindow(*window)
    if kind == "mr":
        percentiles = getattr(data_cfg, "mr_percentiles", None) or (0.5, 99.5)
        return MRNormalize(percentiles=tuple(float(p) for p in percentiles))
    if kind == "minmax":
        return MinMax()
    return IntensityTransform()
