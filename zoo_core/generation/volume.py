"""Whole-volume inference for block/patch models, with memory bounded by the block batch.

Block models (the 3D cGAN on 32^3 blocks, the 3D SRGAN on patches) cannot run on a whole CT in
one pass. :func:`infer_volume` hands MONAI's ``sliding_window_inference`` a predictor that calls
``model.generate`` on ``sw_batch_size`` blocks at a time: the volume and the stitched output
stay on the CPU (``device``), only the blocks travel to the model's device (``sw_device``), so
device memory does not grow with the volume. Overlapping blocks are blended with a Gaussian (or
constant) weight map. ``tiling="blocks"`` is the paper's non-overlapping tiling instead: the
core's block tiler (:func:`zoo_core.data.blocks.tile_blocks`) crops ``sw_batch_size`` blocks
at a time and writes each result into one preallocated output, with no weight or count map.

Super-resolution models return blocks larger than their input; MONAI notices that the first
output block is ``k`` times the ROI, allocates a ``k`` times larger output and scales every
block's coordinates (and the weight map) by ``k``, so the stitched result is upsampled too.
Coordinates are truncated to integers there, so only integer factors are accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from zoo_core.data.blocks import tile_blocks
from zoo_core.errors import ZooError
from zoo_core.generation.draw import track_progress
from zoo_core.generation.slicewise import size_multiple_of
from zoo_core.seeds import derive_seed

if TYPE_CHECKING:
    from zoo_core.interfaces.model import GANModel


def infer_volume(
    model: GANModel,
    volume: torch.Tensor,
    roi_size: int | Sequence[int],
    overlap: float = 0.5,
    sw_batch_size: int = 4,
    mode: str = "gaussian",
    seed: int | None = None,
    *,
    tiling: str = "sliding",
    margin: int = 0,
    padding_mode: str = "replicate",
    progress: bool = False,
    device: str | torch.device = "cpu",
    options: dict | None = None,
) -> torch.Tensor:
    """Run a conditional block model over a whole ``volume`` (C, *spatial); returns (C', *S').

    ``roi_size`` is the model's block size; ``S' = k * spatial`` for a model whose output is
    ``k`` times its input (super-resolution), else ``spatial``. With ``seed``, call ``j`` of the
    model gets seed ``derive_seed(seed, j)``, so a run is reproducible for a given
    ``sw_batch_size``. Volumes smaller than a block are padded (``padding_mode``) and cropped.
    ``options`` go to ``model.generate`` (the architecture's own keyword arguments).

    ``tiling="blocks"`` is the non-overlapping tiling of papers that split a scan into blocks:
    the volume is padded at its far ends (``padding_mode``) to a multiple of the block, cut
    into disjoint blocks and cropped back, so no block is shifted to fit the edge (as
    ``overlap=0`` sliding windows are) and no seam is blended (``overlap`` and ``mode`` are
    ignored).

    ``margin`` > 0 gives each block context: the model runs on blocks ``margin`` voxels
    larger on every side and only each block's centre is kept, the centres tiling the volume
    (``overlap`` and ``mode`` are ignored). With a margin at least the model's receptive
    radius, the result equals running the model on the whole volume, away from its border,
    at ``((roi + 2 margin) / roi)^d`` times the compute; the model must accept the larger
    blocks (fully convolutional networks do).
    """
    from monai.inferers import sliding_window_inference

    if not getattr(model, "conditional", False):
        raise ZooError("infer_volume needs a conditional model: the volume is its condition.")
    volume = torch.as_tensor(volume)
    spatial = volume.ndim - 1
    if spatial not in (2, 3):
        raise ZooError(
            f"volume must be (C, H, W) or (C, D, H, W), got shape {tuple(volume.shape)}."
        )
    roi = (int(roi_size),) * spatial if isinstance(roi_size, int) else tuple(map(int, roi_size))
    if len(roi) != spatial or min(roi) < 1:
        raise ZooError(f"roi_size {roi_size!r} does not fit a {spatial}D volume.")
    if not 0 <= overlap < 1:
        raise ZooError(f"overlap must be in [0, 1), not {overlap}.")
    if mode not in ("gaussian", "constant"):
        raise ZooError(f"mode must be 'gaussian' or 'constant', not {mode!r}.")
    if sw_batch_size < 1:
        raise ZooError(f"sw_batch_size must be positive, not {sw_batch_size}.")
    if tiling not in ("sliding", "blocks"):
        raise ZooError(f"tiling must be 'sliding' or 'blocks', not {tiling!r}.")
    if margin < 0:
        raise ZooError(f"margin must be >= 0 voxels, not {margin}.")
    window = tuple(r + 2 * margin for r in roi)
    multiple = size_multiple_of(model)
    if margin and any(w % multiple for w in window):
        raise ZooError(
            f"blocks of {roi} with a margin of {margin} are {window}; this model takes sides "
            f"that are multiples of {multiple}: choose a margin with (block + 2 margin) a "
            f"multiple of {multiple}."
        )

    calls = 0

    def predictor(blocks: torch.Tensor) -> torch.Tensor:
        nonlocal calls
        block_seed = None if seed is None else derive_seed(seed, calls)
        out = model.generate(condition=blocks, seed=block_seed, **(options or {}))
        if calls == 0:
            _check_scale(tuple(out.shape[2:]), window)
        calls += 1
        return out.float()

    source = volume.detach().to("cpu", torch.float32)
    if tiling == "blocks" and not margin:

        def predict_blocks(blocks: torch.Tensor, call: int) -> torch.Tensor:
            # Summed into zeros (as MONAI's stitching did), a -0.0 comes out as 0.0.
            return predictor(blocks.to(model.device)).to(device) + 0.0

        def track(batches, total):
            return track_progress(batches, total, "Blocks", progress)

        return tile_blocks(source, roi, predict_blocks, sw_batch_size, pad_value=0.0,
                           padding_mode=padding_mode, track=track)  # fmt: skip
    inputs = source[None]
    shape = inputs.shape[2:]
    # Padding before (the margin) and after (the margin, and whole blocks for "blocks").
    trail = [(-size) % r if tiling == "blocks" else 0 for size, r in zip(shape, roi, strict=True)]
    if tiling == "sliding" and not margin:
        trail = _aligned_trail(shape, roi, overlap, _alignment_of(model))
    weights = None
    if tiling == "blocks" or margin:
        mode = "constant"
        # a stride of roi, so the windows' centres tile the volume (MONAI floors the stride
        # window * (1 - overlap): the overlap is a hair under 2 margin / window)
        overlap = [(2 * margin - 1e-3) / w if margin else 0.0 for w in window]
    if margin:
        weights = torch.full((1, 1, *window), 1e-6)  # margins: context only, ~no weight
        weights[(slice(None), slice(None), *(slice(margin, margin + r) for r in roi))] = 1.0
    flat = [amount for after in reversed(trail) for amount in (margin, margin + after)]
    if any(flat):
        inputs = torch.nn.functional.pad(inputs, flat, mode=padding_mode)
    out = sliding_window_inference(
        inputs,
        roi_size=window,
        sw_batch_size=sw_batch_size,
        predictor=predictor,
        overlap=overlap,
        mode=mode,
        padding_mode=padding_mode,
        roi_weight_map=weights,
        sw_device=model.device,
        device=torch.device(device),
        progress=progress,
    )
    out = torch.as_tensor(out)[0]
    if any(flat):
        scale = [o // i for o, i in zip(out.shape[1:], inputs.shape[2:], strict=True)]
        keep = (slice(margin * k, (margin + s) * k) for s, k in zip(shape, scale, strict=True))
        out = out[(slice(None), *keep)]
    return out


def _alignment_of(model: GANModel) -> int:
    alignment = getattr(model, "window_alignment", 1)
    if not isinstance(alignment, int) or alignment < 1:
        raise ZooError(f"window_alignment must be a positive integer, not {alignment!r}.")
    return alignment


def _aligned_trail(
    shape: Sequence[int], roi: Sequence[int], overlap: float, alignment: int
) -> list[int]:
    """Voxels to pad after each axis so that every sliding window starts at a multiple of
    ``alignment``: MONAI steps by ``int(roi * (1 - overlap))`` and puts the last window at
    ``size - roi``, so the step must be a multiple and ``size - roi`` is padded to one."""
    if alignment == 1:
        return [0] * len(shape)
    trail = []
    for size, r in zip(shape, roi, strict=True):
        step = max(int(r * (1 - overlap)), 1)
        if step % alignment and size > r:
            raise ZooError(
                f"this model's blocks must start on a {alignment}-voxel lattice, but an "
                f"overlap of {overlap} steps by {step} voxels: choose an overlap whose step "
                f"(block {r} x (1 - overlap)) is a multiple of {alignment}, e.g. 0.5."
            )
        padded = max(size, r)
        trail.append(padded + (r - padded) % alignment - size)
    return trail


def _check_scale(out_shape: tuple[int, ...], roi: tuple[int, ...]) -> None:
    for out, inp in zip(out_shape, roi, strict=True):
        if out % inp:
            raise ZooError(
                f"the model turned a {roi} block into {out_shape}: stitching needs the output "
                "to be an integer multiple of the block on every axis."
            )


def output_affine(
    affine: np.ndarray, in_shape: Sequence[int], out_shape: Sequence[int]
) -> np.ndarray:
    """The affine of an output covering the same field of view as its condition.

    Equal shapes keep the affine. An output ``s`` times larger splits each input voxel into
    ``s`` voxels, so output voxel ``j`` sits at input coordinate ``(j - (s - 1) / 2) / s``:
    the spacing is divided by ``s`` and the field of view (and its centre) stays put.
    """
    affine = np.asarray(affine, dtype=float)
    in_shape, out_shape = tuple(in_shape), tuple(out_shape)
    if in_shape == out_shape:
        return affine.copy()
    ratio = np.array([i / o for i, o in zip(in_shape, out_shape, strict=True)])
    voxel_map = np.eye(4)
    k = len(ratio)
    voxel_map[:k, :k] = np.diag(ratio)
    voxel_map[:k, 3] = (ratio - 1) / 2
    return affine @ voxel_map
