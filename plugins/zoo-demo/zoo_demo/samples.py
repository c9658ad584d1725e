"""Stage 4a: generate samples with the loaded model and write them as PNG and NIfTI.

The files are written by zoo_core's ``SampleWriter`` (what ``zoo generate`` writes through),
so each one says it is synthetic in its format's own place and embeds the provenance record;
a ``provenance.json`` sits beside them. The model card's outputs split the channels: the
image (T1) and each segmentation channel (grey and white matter) go to files of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo_core.generation import output_groups

FORMATS = ("png", "nifti")


@dataclass
class WrittenSamples:
    folders: dict[str, Path]
    provenance: dict[str, Path]
    files: dict[str, list[Path]] = field(default_factory=dict)


#: The card's outputs as channel ranges of the generated tensor (zoo_core's reading of it).
card_outputs = output_groups


def value_range(model: Any) -> tuple[float, float]:
    """The value range of the card's first output (zoo_core's ``output_spec``)."""
    from zoo_core.io import output_spec

    return output_spec(model)[0]


def slice_affine(height: int, width: int, spacing_mm: float) -> np.ndarray:
    """A RAS affine for a generated axial slice shown with anterior at the top: rows run
    posterior (decreasing y), columns run to the right (increasing x), centred on 0."""
    s = float(spacing_mm)
    affine = np.array(
        [
            [0.0, s, 0.0, -(width - 1) / 2 * s],
            [-s, 0.0, 0.0, (height - 1) / 2 * s],
            [0.0, 0.0, s, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )
    return affine


def write_samples(
    model: Any,
    images: torch.Tensor,
    out_dir: Path,
    *,
    seed: int,
    spacing_mm: float,
) -> WrittenSamples:
    """``out_dir/<format>/sample_NNN_<output>[_<channel>].<ext>`` + provenance.json each,
    written by zoo_core's :class:`~zoo_core.generation.SampleWriter` (every file marked
    synthetic); NIfTI files get the slice geometry of ``spacing_mm`` pixels."""
    from zoo_core.generation import SampleWriter

    groups = card_outputs(model)
    affine = slice_affine(images.shape[-2], images.shape[-1], spacing_mm)
    samples = images.detach().cpu().float()
    stems = [f"sample_{i:03d}" for i in range(len(samples))]
    result = WrittenSamples({}, {})
    for fmt in FORMATS:
        folder = out_dir / fmt
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("sample_*"):  # an earlier run with more samples
            stale.unlink()
        extra = {"command": "zoo demo", "format": fmt, "samples": len(samples)}
        writer = SampleWriter(model, folder, fmt, seed=seed, extra=extra, groups=groups)
        geometry = {"affine": affine} if fmt == "nifti" else {}
        result.files[fmt] = writer.write_all(samples, stems, **geometry)
        result.folders[fmt] = folder
        result.provenance[fmt] = writer.provenance
    return result


def save_montage(model: Any, images: torch.Tensor, path: Path, count: int, scale: int) -> Path:
    """The first ``count`` samples, each with all its channels side by side, enlarged
    ``scale`` times with nearest-neighbour pixels (no detail is invented)."""
    from zoo_core import io as zio

    shown = images[:count].detach().cpu().float()
    if scale > 1:
        shown = torch.nn.functional.interpolate(shown, scale_factor=scale, mode="nearest")
    names = [c for out in card_outputs(model) for c in out.channels]
    nrow = int(np.ceil(np.sqrt(len(shown))))
    return zio.save_montage(
        shown, path, value_range=value_range(model), nrow=nrow, channel_names=names
    )
