"""Whole-scan reconstruction: equalise, predict every block, undo the equalisation, stitch.

The paper predicts the non-overlapping blocks and stitches them back to 512x512xZ, and
reports occasional artifact blocks. The default here runs overlapping blocks through the
core's sliding window (:func:`zoo_core.generation.volume.infer_volume`, Gaussian-blended
seams); ``mode="blocks"`` is the paper's tiling (the core's ``split_blocks`` /
``stitch_blocks``). Only ``sw_batch_size`` blocks are on the model's device at a time and the
stitched volume stays on the CPU, so device memory is bounded by the block batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from zoo_cgan3d.volumes import fit_transform
from zoo_core.data.intensity import IntensityTransform
from zoo_core.data.sampling import split_blocks, stitch_blocks
from zoo_core.errors import ZooError
from zoo_core.generation.sampling import derive_seed
from zoo_core.generation.volume import infer_volume

MODES = ("sliding", "blocks")


@dataclass
class Reconstruction:
    hu: np.ndarray
    transform: IntensityTransform


def predict_volume(
    model: Any,
    volume: torch.Tensor,
    *,
    mode: str = "sliding",
    overlap: float = 0.5,
    sw_batch_size: int = 8,
    seed: int | None = 0,
) -> torch.Tensor:
    """Run a normalised ``(C, X, Y, Z)`` condition volume through the model; same shape, CPU."""
    if mode not in MODES:
        raise ZooError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    block = int(model.block_size)
    if mode == "sliding":
        return infer_volume(
            model, volume, block, overlap=overlap, sw_batch_size=sw_batch_size, seed=seed
        )
    blocks, grid = split_blocks(volume.float(), block, pad_value=float(volume.min()))
    outputs = []
    for call, start in enumerate(range(0, len(blocks), sw_batch_size)):
        batch_seed = None if seed is None else derive_seed(seed, call)
        chunk = blocks[start : start + sw_batch_size]
        outputs.append(model.generate(condition=chunk, seed=batch_seed).cpu())
    return stitch_blocks(torch.cat(outputs), grid)


def reconstruct(
    model: Any,
    condition_hu: np.ndarray,
    *,
    transform: IntensityTransform | None = None,
    mode: str = "sliding",
    overlap: float = 0.5,
    sw_batch_size: int = 8,
    seed: int | None = 0,
) -> Reconstruction:
    """Turn a condition scan in HU (X, Y, Z) into the model's output scan in HU, same shape.

    The intensity transform of the model's config is fitted on the condition scan (unless
    ``transform`` is given) and inverted on the output, as the paper's post-processing does.
    """
    if condition_hu.ndim != 3:
        raise ZooError(f"expected a 3D scan (X, Y, Z), got shape {condition_hu.shape}")
    tf = transform or fit_transform(model.config.data, condition_hu)
    volume = torch.as_tensor(tf.forward(np.asarray(condition_hu, dtype=np.float32)))[None]
    out = predict_volume(
        model, volume, mode=mode, overlap=overlap, sw_batch_size=sw_batch_size, seed=seed
    )
    return Reconstruction(np.asarray(tf.inverse(out[0].numpy()), dtype=np.float32), tf)
