"""Cutting volumes into what 2D and patch-based models train on, and putting them back.

* 2D slices along one axis, skipping slices that are (almost) all background;
* a non-overlapping grid of 3D blocks (Mangalagiri et al. cut CT into 32^3 blocks and stitch
  the predictions back into the full scan): :func:`split_blocks` pads a volume whose size is
  not a multiple of the block and :func:`stitch_blocks` crops the padding away again, so
  ``stitch_blocks(*split_blocks(v, b)) == v`` exactly;
* random patches, drawn from torch's RNG so a seeded run draws the same patches;
* resizing or centre crop/pad to ``data.spatial_size`` with MONAI transforms.

Arrays are channel-first torch tensors ``(C, *spatial)``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from zoo_core.errors import ConfigError

#: A voxel is foreground when it differs from the background by more than this (2.5% of
#: the [-1, 1] range).
FOREGROUND_DELTA = 0.05


def background_value(volume: torch.Tensor) -> float:
    """The background level of a ``(C, *S)`` image: the median of its outer faces.

    Air clipped by a CT window sits at -1, but a skull-stripped atlas has 0 HU around the head
    and an MR background can be anywhere after normalisation: the border says which.
    """
    faces = []
    for axis in range(1, volume.ndim):
        faces += [volume.select(axis, 0).reshape(-1), volume.select(axis, -1).reshape(-1)]
    return float(torch.cat(faces).float().median())


def foreground_fraction(x: torch.Tensor, background: float = -1.0) -> float:
    """Share of values that differ from the ``background`` level."""
    return float(((x - background).abs() > FOREGROUND_DELTA).float().mean())


def take_slice(volume: torch.Tensor, axis: int, index: int) -> torch.Tensor:
    """``(C, X, Y, Z)`` -> the 2D ``(C, ., .)`` slice ``index`` along spatial ``axis``."""
    return volume.select(1 + axis, index)


def slice_indices(
    volume: torch.Tensor, axis: int = 2, skip_empty: bool = True, min_foreground: float = 0.01
) -> list[int]:
    """Indices of the slices along ``axis`` worth training on (all, or the non-empty ones)."""
    if volume.ndim != 4:
        raise ConfigError(
            f"2D slices need a 3D volume, got spatial shape {tuple(volume.shape[1:])}; use "
            "data.mode=images for 2D pictures."
        )
    count = volume.shape[1 + axis]
    if not skip_empty:
        return list(range(count))
    dims = [d for d in range(volume.ndim) if d != 1 + axis]
    background = background_value(volume)
    share = ((volume - background).abs() > FOREGROUND_DELTA).float().mean(dim=dims)
    return [i for i in range(count) if float(share[i]) >= min_foreground]


@dataclass(frozen=True)
class BlockGrid:
    """Where the blocks of :func:`split_blocks` came from, for :func:`stitch_blocks`."""

    shape: tuple[int, ...]  # spatial shape of the original volume
    block: tuple[int, ...]
    counts: tuple[int, ...]  # blocks along each axis

    @property
    def padded(self) -> tuple[int, ...]:
        return tuple(c * b for c, b in zip(self.counts, self.block, strict=True))

    def origins(self) -> list[tuple[int, ...]]:
        """Corner of every block, in the (row-major) order split_blocks returns them."""
        ranges = [range(0, c * b, b) for c, b in zip(self.counts, self.block, strict=True)]
        return list(itertools.product(*ranges))


def block_grid(shape: Sequence[int], block: Sequence[int] | int) -> BlockGrid:
    shape = tuple(int(s) for s in shape)
    if isinstance(block, int):
        block = (block,) * len(shape)
    block = tuple(int(b) for b in block)
    if len(block) != len(shape) or min(block) < 1:
        raise ConfigError(
            f"block size {list(block)} must give one positive size per spatial axis of {shape}."
        )
    counts = tuple(math.ceil(s / b) for s, b in zip(shape, block, strict=True))
    return BlockGrid(shape, block, counts)


def split_blocks(
    volume: torch.Tensor, block: Sequence[int] | int, pad_value: float = -1.0
) -> tuple[torch.Tensor, BlockGrid]:
    """``(C, *S)`` -> ``(N, C, *block)`` non-overlapping blocks, padding the far edges."""
    grid = block_grid(volume.shape[1:], block)
    pad = []
    for size, full in zip(reversed(grid.shape), reversed(grid.padded), strict=True):
        pad += [0, full - size]
    x = F.pad(volume, pad, value=pad_value) if any(pad) else volume
    nd = len(grid.shape)
    channels = volume.shape[0]
    # (C, n1, b1, n2, b2, ...) -> (n1, n2, ..., C, b1, b2, ...)
    split = [channels]
    for n, b in zip(grid.counts, grid.block, strict=True):
        split += [n, b]
    x = x.reshape(split)
    order = [1 + 2 * i for i in range(nd)] + [0] + [2 + 2 * i for i in range(nd)]
    blocks = x.permute(order).reshape(-1, channels, *grid.block)
    return blocks, grid


def stitch_blocks(blocks: torch.Tensor, grid: BlockGrid) -> torch.Tensor:
    """Inverse of :func:`split_blocks`: ``(N, C, *block)`` -> ``(C, *shape)``."""
    nd = len(grid.shape)
    expected = math.prod(grid.counts)
    if blocks.shape[0] != expected or tuple(blocks.shape[2:]) != grid.block:
        raise ConfigError(
            f"stitch_blocks got {tuple(blocks.shape)}, but the grid needs {expected} blocks of "
            f"{grid.block}."
        )
    channels = blocks.shape[1]
    x = blocks.reshape(*grid.counts, channels, *grid.block)
    # (n1, ..., C, b1, ...) -> (C, n1, b1, n2, b2, ...)
    order = [nd]
    for i in range(nd):
        order += [i, nd + 1 + i]
    x = x.permute(order).reshape(channels, *grid.padded)
    return x[(slice(None), *(slice(0, s) for s in grid.shape))]


def crop(volume: torch.Tensor, origin: Sequence[int], size: Sequence[int], pad_value: float = -1.0):
    """The ``size`` region at ``origin`` of ``(C, *S)``, padded where it runs past the edge."""
    region = volume[(slice(None), *(slice(o, o + s) for o, s in zip(origin, size, strict=True)))]
    short = [s - r for s, r in zip(size, region.shape[1:], strict=True)]
    if any(short):
        pad = []
        for missing in reversed(short):
            pad += [0, missing]
        region = F.pad(region, pad, value=pad_value)
    return region


def random_origin(
    shape: Sequence[int], size: Sequence[int], generator: torch.Generator | None = None
) -> tuple[int, ...]:
    """A uniformly drawn patch corner that keeps the patch inside the volume where it fits."""
    origin = []
    for s, p in zip(shape, size, strict=True):
        high = max(int(s) - int(p), 0) + 1
        origin.append(int(torch.randint(high, (1,), generator=generator)))
    return tuple(origin)


def random_patch(
    volume: torch.Tensor, size: Sequence[int], generator: torch.Generator | None = None
) -> torch.Tensor:
    return crop(volume, random_origin(volume.shape[1:], size, generator), size)


def fit_to_size(
    x: torch.Tensor,
    spatial_size: Sequence[int],
    method: str = "resize",
    *,
    label: bool = False,
    pad_value: float = -1.0,
) -> torch.Tensor:
    """Bring ``(C, *S)`` to ``spatial_size``: ``resize`` (interpolate) or ``crop`` (centre
    crop/pad with ``pad_value``, keeping the voxel size). Label maps use nearest neighbour,
    never blending (pass ``pad_value=0``, the background class, for them)."""
    from monai.transforms import Resize, ResizeWithPadOrCrop

    size = [int(s) for s in spatial_size]
    if not size or list(x.shape[1:]) == size:
        return x
    if len(size) != x.ndim - 1:
        raise ConfigError(
            f"data.spatial_size {size} has {len(size)} axes but the images have "
            f"{x.ndim - 1} (shape {tuple(x.shape[1:])})."
        )
    dtype = x.dtype
    x = x.float()
    if method == "crop":
        out = ResizeWithPadOrCrop(size, mode="constant", value=pad_value)(x)
    elif method == "resize":
        if label:
            out = Resize(size, mode="nearest")(x)
        else:
            mode = "bilinear" if len(size) == 2 else "trilinear"
            out = Resize(size, mode=mode, anti_aliasing=True)(x)
    else:
        raise ConfigError(f"data.size_mode must be 'resize' or 'crop', not {method!r}.")
    out = out.as_tensor() if hasattr(out, "as_tensor") else torch.as_tensor(out)
    return out.round().to(dtype) if label else out.to(dtype)
