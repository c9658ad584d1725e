"""Whole-scan reconstruction: equalise, predict every block, undo the equalisation, stitch.

The paper predicts the non-overlapping blocks and stitches them back to 512x512xZ, and
reports occasional artifact blocks. The default here runs overlapping blocks through the
core's sliding window (:func:`zoo_core.generation.volume.infer_volume`, Gaussian-blended
seams); ``mode="blocks"`` is the paper's tiling (the core's block tiler,
:func:`zoo_core.plugin_api.tile_blocks`). Only ``sw_batch_size`` blocks are on the model's
device at a time and the stitched volume stays on the CPU, so device memory is bounded by the
block batch.

Host memory matters too (a 512x512x300 CT is 315 MB in float32, next to ~1 GB of torch and
MONAI): the HU scan is normalised in place slab by slab when the caller hands it over
(``inplace=True``, as the CLI does), the paper's tiling crops one block batch at a time and
writes it into one preallocated output, and the inverse transform runs in place on that
output, so the whole pipeline holds two volumes (three with MONAI's count map when blending).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from zoo_cgan3d.volumes import fit_transform
from zoo_core.plugin_api import (
    IntensityTransform,
    ZooError,
    derive_seed,
    infer_volume,
    tile_blocks,
)

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
    options: dict[str, Any] | None = None,
) -> torch.Tensor:
    """Run a normalised ``(C, X, Y, Z)`` condition volume through the model; same shape, CPU.
    ``options`` go to every ``model.generate`` call (a scan's ``hu_lookup``)."""
    if mode not in MODES:
        raise ZooError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    block = int(model.block_size)
    if mode == "sliding":
        return infer_volume(
            model,
            volume,
            block,
            overlap=overlap,
            sw_batch_size=sw_batch_size,
            seed=seed,
            options=options,
        )
    return _stitch_blocks(model, volume.float(), block, sw_batch_size, seed, options or {})


def _stitch_blocks(
    model: Any,
    volume: torch.Tensor,
    block: int,
    sw_batch_size: int,
    seed: int | None,
    options: dict[str, Any],
) -> torch.Tensor:
    """The paper's tiling, streamed through the core's block tiler: crop a batch of blocks,
    generate, write into the output.

    Same blocks, order, edge padding (the volume's minimum) and per-call seeds as
    ``split_blocks`` + ``stitch_blocks``, but neither the padded block array nor the list of
    outputs is ever whole: memory is the output volume plus one block batch.
    """

    def predict(chunk: torch.Tensor, call: int) -> torch.Tensor:
        batch_seed = None if seed is None else derive_seed(seed, call)
        return model.generate(condition=chunk, seed=batch_seed, **options).cpu()

    return tile_blocks(volume, block, predict, sw_batch_size, pad_value=float(volume.min()))


def apply_in_place(func: Any, array: np.ndarray, slab: int = 16) -> np.ndarray:
    """``array[...] = func(array)`` for an element-wise ``func``, ``slab`` slices of the last
    axis at a time, so no whole-volume temporary is made."""
    for z in range(0, array.shape[-1], slab):
        part = array[..., z : z + slab]
        part[...] = func(part)
    return array


def reconstruct(
    model: Any,
    condition_hu: np.ndarray,
    *,
    transform: IntensityTransform | None = None,
    mode: str = "sliding",
    overlap: float = 0.5,
    sw_batch_size: int = 8,
    seed: int | None = 0,
    inplace: bool = False,
) -> Reconstruction:
    """Turn a condition scan in HU (X, Y, Z) into the model's output scan in HU, same shape.

    The intensity transform of the model's config is fitted on the condition scan (unless
    ``transform`` is given) and inverted on the output, as the paper's post-processing does.
    With ``inplace``, a float32 ``condition_hu`` is overwritten by its normalised values (one
    volume less in memory, for callers that read the scan only for this).
    """
    if condition_hu.ndim != 3:
        raise ZooError(f"expected a 3D scan (X, Y, Z), got shape {condition_hu.shape}")
    tf = transform or fit_transform(model.config.data, condition_hu)
    if inplace and condition_hu.dtype == np.float32 and condition_hu.flags.writeable:
        normalised = apply_in_place(tf.forward, condition_hu)
    else:
        normalised = np.asarray(tf.forward(np.asarray(condition_hu, dtype=np.float32)))
    volume = torch.from_numpy(normalised)[None]
    del normalised
    out = predict_volume(
        model,
        volume,
        mode=mode,
        overlap=overlap,
        sw_batch_size=sw_batch_size,
        seed=seed,
        options=model.condition_options(tf),
    )
    del volume
    hu = out[0].numpy()
    if hu.dtype != np.float32:
        hu = hu.astype(np.float32)
    del out
    return Reconstruction(apply_in_place(tf.inverse, hu), tf)
