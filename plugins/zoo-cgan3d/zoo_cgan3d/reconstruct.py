"""Whole-scan reconstruction: equalise, predict every block, undo the equalisation, stitch.

The paper predicts the non-overlapping blocks and stitches them back to 512x512xZ, and
reports occasional artifact blocks. The default here runs overlapping blocks through MONAI's
sliding window with Gaussian-blended seams; ``mode="blocks"`` is the paper's tiling. Either
way only ``sw_batch_size`` blocks are on the device at a time and the stitched volume is
assembled on the CPU, so memory is bounded by the block batch, not by the scan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from zoo_cgan3d.data import pad_to_multiple
from zoo_cgan3d.intensity import HUEqualizer
from zoo_core.errors import ZooError

MODES = ("sliding", "blocks")


@dataclass
class Reconstruction:
    hu: np.ndarray
    equalizer: HUEqualizer


def predict_volume(
    model,
    volume: torch.Tensor,
    *,
    mode: str = "sliding",
    overlap: float = 0.5,
    sw_batch_size: int = 8,
    seed: int | None = 0,
) -> torch.Tensor:
    """Run a normalised ``(1, C, X, Y, Z)`` condition volume through the model, on the CPU.

    Each block gets its own uniform z from one generator seeded with ``seed``.
    """
    from monai.inferers import sliding_window_inference

    if mode not in MODES:
        raise ZooError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    block = int(model.block_size)
    device = model.device
    rng = None
    if seed is not None:
        rng = torch.Generator(device=device)
        rng.manual_seed(int(seed))
    low, high = model.value_range

    def predictor(windows: torch.Tensor) -> torch.Tensor:
        return model.sample(None, windows.to(device), rng).clamp(low, high).cpu()

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            if mode == "blocks":
                return _tile_blocks(volume, block, sw_batch_size, predictor)
            return sliding_window_inference(
                volume.float(),
                roi_size=(block,) * 3,
                sw_batch_size=sw_batch_size,
                predictor=predictor,
                overlap=overlap,
                mode="gaussian",
                padding_mode="replicate",
                sw_device=device,
                device="cpu",
            )
    finally:
        model.train(was_training)


def _tile_blocks(volume: torch.Tensor, block: int, batch: int, predictor) -> torch.Tensor:
    """The paper's mode: pad to a multiple of the block, predict each tile once, crop."""
    array = volume[0, 0].numpy()
    padded = torch.from_numpy(pad_to_multiple(array, block, float(array.min())))
    out = torch.empty_like(padded)
    grid = [s // block for s in padded.shape]
    tiles = padded.reshape(grid[0], block, grid[1], block, grid[2], block)
    tiles = tiles.permute(0, 2, 4, 1, 3, 5).reshape(-1, 1, block, block, block)
    outputs = torch.cat([predictor(tiles[i : i + batch]) for i in range(0, len(tiles), batch)])
    out = outputs.reshape(*grid, block, block, block).permute(0, 3, 1, 4, 2, 5)
    out = out.reshape(padded.shape)
    return out[tuple(slice(0, s) for s in array.shape)][None, None]


def reconstruct(
    model,
    condition_hu: np.ndarray,
    *,
    hu_window: tuple[float, float] = (-1024.0, 3071.0),
    equalize: bool = True,
    equalizer: HUEqualizer | None = None,
    mode: str = "sliding",
    overlap: float = 0.5,
    sw_batch_size: int = 8,
    seed: int | None = 0,
) -> Reconstruction:
    """Turn a condition scan in HU (X, Y, Z) into the model's output scan in HU, same shape.

    The equalisation is fitted on the condition scan (or ``equalizer`` is used) and inverted
    on the output, as the paper's post-processing does.
    """
    if condition_hu.ndim != 3:
        raise ZooError(f"expected a 3D scan, got shape {condition_hu.shape}")
    eq = equalizer or HUEqualizer.fit(condition_hu, hu_window, equalize)
    volume = torch.from_numpy(eq.forward(condition_hu))[None, None]
    out = predict_volume(
        model, volume, mode=mode, overlap=overlap, sw_batch_size=sw_batch_size, seed=seed
    )
    return Reconstruction(eq.inverse(out[0, 0].numpy()), eq)
