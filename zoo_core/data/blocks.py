"""The zoo's one block tiler: a volume as a grid of disjoint blocks, streamed, and stitched back.

Mangalagiri et al. cut CT into 32^3 blocks and stitch the predictions back into the full scan.
:func:`block_grid` says where the blocks lie: from the origin, in row-major order, the far
ends of the volume padded up to whole blocks (no block is shifted to fit the edge).
:func:`iter_blocks` streams the blocks ``batch_size`` at a time, each a :func:`crop` of the
volume, so the volume is never held as blocks; :func:`tile_blocks` runs a function over each
batch and writes its results into one preallocated output, cropping the padding away (the
results may be an integer factor larger than the blocks: super-resolution), so memory is the
output plus one batch. Training data, ``zoo.generate(tiling="blocks")`` and the 3D cGAN's
reconstruction all tile through here. :func:`split_blocks` and :func:`stitch_blocks` are the
all-at-once forms, ``stitch_blocks(*split_blocks(v, b)) == v`` exactly.

The padding is a constant (``pad_value``) or, as ``torch.nn.functional.pad`` would pad the
whole volume, ``replicate``, ``reflect`` or ``circular`` (``padding_mode``). Arrays are
channel-first torch tensors ``(C, *spatial)``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from zoo_core.errors import ConfigError, ZooError

Origin = tuple[int, ...]
PADDING_MODES = ("constant", "replicate", "reflect", "circular")


@dataclass(frozen=True)
class BlockGrid:
    """Where the disjoint blocks of a volume lie (see :func:`block_grid`)."""

    shape: tuple[int, ...]  # spatial shape of the original volume
    block: tuple[int, ...]
    counts: tuple[int, ...]  # blocks along each axis

    @property
    def padded(self) -> tuple[int, ...]:
        return tuple(c * b for c, b in zip(self.counts, self.block, strict=True))

    def iter_origins(self) -> Iterator[Origin]:
        """Corner of every block, in row-major order (the first axis slowest)."""
        ranges = [range(0, c * b, b) for c, b in zip(self.counts, self.block, strict=True)]
        return itertools.product(*ranges)

    def origins(self) -> list[Origin]:
        """:meth:`iter_origins` as a list (the order split_blocks returns blocks in)."""
        return list(self.iter_origins())

    def inside(self, origin: Sequence[int]) -> tuple[int, ...]:
        """The size of the part of the block at ``origin`` that lies inside the volume."""
        return tuple(min(b, s - o) for o, b, s in zip(origin, self.block, self.shape, strict=True))


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


def crop(
    volume: torch.Tensor,
    origin: Sequence[int],
    size: Sequence[int],
    pad_value: float = -1.0,
    *,
    padding_mode: str = "constant",
) -> torch.Tensor:
    """The ``size`` region at ``origin`` of ``(C, *S)``, padded where it runs past the far edge:
    with ``pad_value``, or as ``padding_mode`` would pad the whole volume."""
    region = volume[(slice(None), *(slice(o, o + s) for o, s in zip(origin, size, strict=True)))]
    short = [s - r for s, r in zip(size, region.shape[1:], strict=True)]
    if not any(short):
        return region
    if padding_mode == "constant":
        pad = []
        for missing in reversed(short):
            pad += [0, missing]
        return F.pad(region, pad, value=pad_value)
    # The voxels a padded copy of the whole volume holds there, read from the volume itself.
    nd = len(size)
    index = []
    for axis, (o, s) in enumerate(zip(origin, size, strict=True)):
        positions = _fold(torch.arange(o, o + s), volume.shape[1 + axis], padding_mode)
        index.append(positions.view([-1 if a == axis else 1 for a in range(nd)]))
    return volume[(slice(None), *index)]


def _fold(positions: torch.Tensor, length: int, mode: str) -> torch.Tensor:
    """Indices past ``length`` mapped where ``mode`` padding takes their values from."""
    beyond = positions - length  # >= 0 past the far edge
    if mode == "replicate":
        return positions.clamp(max=length - 1)
    if mode == "reflect":
        folded = torch.where(beyond >= 0, length - 2 - beyond, positions)
    elif mode == "circular":
        folded = torch.where(beyond >= 0, beyond, positions)
    else:
        raise ZooError(f"padding_mode must be one of {', '.join(PADDING_MODES)}, not {mode!r}.")
    if int(folded.min()) < 0 or int(folded.max()) >= length:
        raise ZooError(
            f"{mode} padding of {int(beyond.max()) + 1} voxels needs an axis longer than {length}."
        )
    return folded


def iter_blocks(
    volume: torch.Tensor,
    block: Sequence[int] | int,
    batch_size: int = 1,
    *,
    pad_value: float = -1.0,
    padding_mode: str = "constant",
) -> Iterator[tuple[list[Origin], torch.Tensor]]:
    """``(origins, (B, C, *block) crops)`` of the disjoint blocks of ``(C, *S)``, at most
    ``batch_size`` at a time, in :meth:`BlockGrid.iter_origins` order; one batch is made at a
    time."""
    if batch_size < 1:
        raise ZooError(f"the block batch size must be positive, not {batch_size}.")
    grid = block_grid(volume.shape[1:], block)
    origins = grid.iter_origins()
    while corners := list(itertools.islice(origins, batch_size)):
        crops = [crop(volume, c, grid.block, pad_value, padding_mode=padding_mode) for c in corners]
        yield corners, torch.stack(crops)


def tile_blocks(
    volume: torch.Tensor,
    block: Sequence[int] | int,
    predict: Callable[[torch.Tensor, int], torch.Tensor],
    batch_size: int = 1,
    *,
    pad_value: float = -1.0,
    padding_mode: str = "constant",
    track: Callable[[Iterable, int], Iterable] | None = None,
) -> torch.Tensor:
    """Run ``predict(blocks, call)`` over the disjoint blocks of ``(C, *S)``, ``batch_size``
    blocks per call (``call`` counts from 0), and stitch its ``(B, C', *k*block)`` results into
    one ``(C', *k*S)`` output (the device and dtype of the first result), the padding cropped
    away. ``track(batches, total)`` may wrap the batches (a progress bar)."""
    grid = block_grid(volume.shape[1:], block)
    batches: Iterable = iter_blocks(
        volume, grid.block, batch_size, pad_value=pad_value, padding_mode=padding_mode
    )
    if track is not None:
        batches = track(batches, math.ceil(math.prod(grid.counts) / batch_size))
    out: torch.Tensor | None = None
    scale: tuple[int, ...] = ()
    for call, (corners, chunk) in enumerate(batches):
        result = predict(chunk, call)
        del chunk  # memory: the output and one batch
        if out is None:
            scale = _scale(tuple(result.shape[2:]), grid.block)
            size = [s * k for s, k in zip(grid.shape, scale, strict=True)]
            out = torch.empty((result.shape[1], *size), dtype=result.dtype, device=result.device)
        for corner, generated in zip(corners, result, strict=True):
            _place(out, generated, corner, grid, scale)
    if out is None:
        raise ZooError(f"volume of shape {tuple(volume.shape)} has no blocks to predict.")
    return out


def _scale(out_shape: tuple[int, ...], block: tuple[int, ...]) -> tuple[int, ...]:
    if len(out_shape) != len(block) or any(o % b for o, b in zip(out_shape, block, strict=True)):
        raise ZooError(
            f"a {block} block came back as {out_shape}: stitching needs the output to be an "
            "integer multiple of the block on every axis."
        )
    return tuple(o // b for o, b in zip(out_shape, block, strict=True))


def _place(
    out: torch.Tensor,
    generated: torch.Tensor,
    origin: Sequence[int],
    grid: BlockGrid,
    scale: Sequence[int],
) -> None:
    """Write the part of one block's result that lies inside the volume into ``out``."""
    inside = grid.inside(origin)
    target = (slice(o * k, (o + n) * k) for o, n, k in zip(origin, inside, scale, strict=True))
    source = (slice(0, n * k) for n, k in zip(inside, scale, strict=True))
    out[(slice(None), *target)] = generated[(slice(None), *source)]


def split_blocks(
    volume: torch.Tensor, block: Sequence[int] | int, pad_value: float = -1.0
) -> tuple[torch.Tensor, BlockGrid]:
    """``(C, *S)`` -> ``(N, C, *block)`` non-overlapping blocks, padding the far edges."""
    grid = block_grid(volume.shape[1:], block)
    count = math.prod(grid.counts)
    if not count:
        return volume.new_empty((0, volume.shape[0], *grid.block)), grid
    _, blocks = next(iter_blocks(volume, grid.block, count, pad_value=pad_value))
    return blocks, grid


def stitch_blocks(blocks: torch.Tensor, grid: BlockGrid) -> torch.Tensor:
    """Inverse of :func:`split_blocks`: ``(N, C, *block)`` -> ``(C, *shape)``."""
    expected = math.prod(grid.counts)
    if blocks.shape[0] != expected or tuple(blocks.shape[2:]) != grid.block:
        raise ConfigError(
            f"stitch_blocks got {tuple(blocks.shape)}, but the grid needs {expected} blocks of "
            f"{grid.block}."
        )
    out = blocks.new_empty((blocks.shape[1], *grid.shape))
    ones = (1,) * len(grid.shape)
    for origin, block in zip(grid.iter_origins(), blocks, strict=True):
        _place(out, block, origin, grid, ones)
    return out
