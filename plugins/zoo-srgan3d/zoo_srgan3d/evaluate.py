"""Does the SRGAN beat interpolation? PSNR/SSIM of its output and of trilinear and tricubic
up-sampling of the same low-resolution input, against the high-resolution original.

Each high-resolution volume is normalised to [-1, 1] as in training (the model config's
``data.intensity``, MR percentiles for the shipped configs), cropped to a multiple of the
scale, degraded exactly as training degrades patches (``model.degrade``), then up-sampled
three ways. Every method's output is clipped to
[-1, 1], the data's range, so no method gains from values the data cannot take. All three use
the same voxel convention (low-resolution voxel i covers high-resolution voxels s*i..s*i+s-1):
``align_corners=False`` for torch and ``grid_mode=True`` for scipy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch.nn import functional as F

if TYPE_CHECKING:
    from zoo_srgan3d.model import SRGAN3D

METHODS = ("srgan3d", "trilinear", "tricubic")
#: [-1, 1]: the data range PSNR and SSIM are computed in.
DATA_RANGE = 2.0
#: Voxels of the original above this (5% of the data range over its floor) are tissue.
TISSUE_LEVEL = -0.9
METRICS = ("psnr", "psnr_tissue", "ssim", "hf_ratio")


def trilinear(low: torch.Tensor, scale: int) -> torch.Tensor:
    """(N, C, d, h, w) -> (N, C, sd, sh, sw) by trilinear interpolation (torch)."""
    return F.interpolate(low, scale_factor=scale, mode="trilinear", align_corners=False)


def tricubic(low: torch.Tensor, scale: int) -> torch.Tensor:
    """(N, C, d, h, w) -> (N, C, sd, sh, sw) by cubic B-spline interpolation (scipy, order 3)."""
    from scipy.ndimage import zoom

    array = low.detach().cpu().numpy().astype(np.float64)
    out = zoom(array, (1, 1, scale, scale, scale), order=3, mode="nearest", grid_mode=True)
    return torch.from_numpy(out.astype(np.float32)).to(low.device)


def upsamplers(model: SRGAN3D) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    scale = model.scale_factor
    return {
        "srgan3d": lambda low: model.generate(condition=low),
        "trilinear": lambda low: trilinear(low, scale),
        "tricubic": lambda low: tricubic(low, scale),
    }


def crop_to_multiple(volume: torch.Tensor, scale: int) -> torch.Tensor:
    """Drop trailing voxels so every spatial axis is a multiple of ``scale``."""
    return volume[..., *(slice(0, n - n % scale) for n in volume.shape[-3:])]


def evaluate_volume(
    model: SRGAN3D, high: torch.Tensor, montage: str | Path | None = None
) -> dict[str, dict[str, float]]:
    """Metrics of every method for one normalised volume (C, X, Y, Z) in [-1, 1]: PSNR over
    the whole volume and over tissue, SSIM, and the high-frequency energy ratio over tissue
    (1: as sharp as the original; interpolation stays below). With ``montage``, the same
    outputs' middle slices are saved as a PNG (:func:`save_comparison`)."""
    from zoo_core.plugin_api import high_frequency_ratio, masked_psnr, psnr, ssim

    high = crop_to_multiple(high.float(), model.scale_factor)[None].to(model.device)
    with torch.no_grad():
        low = model.degrade(high)
    tissue = high > TISSUE_LEVEL
    results, slices = {}, {}
    for name, upsample in upsamplers(model).items():
        out = upsample(low).clamp(-1.0, 1.0).to(high.device)
        results[name] = {
            "psnr": float(psnr(out, high, DATA_RANGE)[0]),
            "psnr_tissue": masked_psnr(out, high, tissue, DATA_RANGE),
            "ssim": float(ssim(out, high, DATA_RANGE)[0]),
            "hf_ratio": high_frequency_ratio(out, high, tissue),
        }
        slices[name] = out[..., out.shape[-1] // 2]
    if montage is not None:
        nearest = F.interpolate(low, scale_factor=model.scale_factor, mode="nearest")
        slices["input (low-res)"] = nearest[..., nearest.shape[-1] // 2]
        slices["original"] = high[..., high.shape[-1] // 2]
        save_comparison(slices, model.model_id or "srgan3d", montage)
    return results


def save_comparison(slices: dict[str, torch.Tensor], model_name: str, path: str | Path) -> Path:
    """A PNG of middle axial slices (1, C, X, Y): the low-resolution input (nearest),
    tricubic, the model and the original, left to right."""
    from zoo_core.plugin_api import save_montage

    order = ["input (low-res)", "tricubic", "srgan3d", "original"]
    tiles = [slices[name][0].clamp(-1, 1).cpu() for name in order]
    tiles = torch.stack([t.flip(-1).transpose(-1, -2) for t in tiles])  # anterior up
    labels = [model_name if name == "srgan3d" else name for name in order]
    return save_montage(tiles, path, value_range=(-1, 1), nrow=4, labels=labels)


def evaluate_folder(
    model: SRGAN3D, folder: str | Path, limit: int | None = None, montage: str | Path | None = None
) -> dict[str, object]:
    """Per-file and mean metrics over the NIfTI/DICOM volumes of ``folder``."""
    from zoo_core.plugin_api import (
        DataError,
        MRNormalize,
        intensity_transform,
        list_images,
        read_image,
    )

    # The normalisation the model was trained with (data.intensity, data.mr_percentiles).
    config = getattr(model, "config", None)
    template = intensity_transform(config.data) if config is not None else MRNormalize()

    paths = list_images(folder)[:limit] if limit else list_images(folder)
    per_file = {}
    for path in paths:
        array, _ = read_image(path)
        if array.ndim != 4:
            raise DataError(f"{path}: is 2D; the 3D SRGAN needs volumes (NIfTI or DICOM series).")
        if array.shape[0] != model.channels:
            raise DataError(f"{path}: has {array.shape[0]} channels, the model {model.channels}.")
        normalised = torch.from_numpy(template.fit(array).forward(array))
        first = not per_file
        per_file[str(path)] = evaluate_volume(model, normalised, montage if first else None)
    mean = {
        method: {
            key: float(np.mean([r[method][key] for r in per_file.values()])) for key in METRICS
        }
        for method in METHODS
    }
    return {
        "model_id": model.model_id,
        "scale_factor": model.scale_factor,
        "degradation": model.degradation,
        "data_range": DATA_RANGE,
        "volumes": len(per_file),
        "mean": mean,
        "per_file": per_file,
    }


def markdown_table(results: dict[str, object]) -> str:
    """One table, means over the volumes: PSNR whole / tissue, SSIM, detail energy ratio."""
    lines = [
        "| method | PSNR (dB) | PSNR tissue (dB) | SSIM | HF energy ratio |",
        "|---|---|---|---|---|",
    ]
    for method in METHODS:
        row = results["mean"][method]
        lines.append(
            f"| {method} | {row['psnr']:.2f} | {row['psnr_tissue']:.2f} | {row['ssim']:.4f} "
            f"| {row['hf_ratio']:.3f} |"
        )
    return "\n".join(lines)


def paper_report(
    model: SRGAN3D, real: str | Path, *, seed: int = 0, device: str = "cpu"
) -> dict[str, object]:
    """``zoo evaluate ID --real VOLUMES``: the model against trilinear and tricubic
    up-sampling of the same inputs, as Markdown and JSON (the degradation is deterministic,
    so ``seed`` is unused)."""
    results = evaluate_folder(model, real)
    heading = (
        f"**{model.model_id}: x{results['scale_factor']} super-resolution of "
        f"{results['volumes']} volume(s), degradation {results['degradation']}, "
        "[-1, 1] data range**"
    )
    return {"markdown": f"{heading}\n\n{markdown_table(results)}", "metrics": results}
