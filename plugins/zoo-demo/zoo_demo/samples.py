"""Stage 4a: generate samples with the loaded model and write them as PNG and NIfTI.

The files are written by zoo_core.io (``write_sample``, what ``zoo generate`` uses), so each
one says it is synthetic in its format's own place and embeds the provenance record; a
``provenance.json`` sits beside them. The model card's outputs split the channels: the
image (T1) and each segmentation channel (grey and white matter) go to files of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo_core.errors import ZooError

FORMATS = ("png", "nifti")


@dataclass
class Output:
    """One output of the model card: its name, channel names and channel indices."""

    name: str
    channels: list[str]
    index: list[int]


@dataclass
class WrittenSamples:
    folders: dict[str, Path]
    provenance: dict[str, Path]
    files: dict[str, list[Path]] = field(default_factory=dict)


def card_outputs(model: Any) -> list[Output]:
    """The card's outputs as channel ranges of the generated tensor (they come in order)."""
    card = getattr(model, "card", None)
    outputs = (card.zoo.get("outputs") if card is not None else None) or []
    groups, start = [], 0
    for out in outputs:
        channels = list(out.get("channels") or [])
        groups.append(Output(str(out["name"]), channels, list(range(start, start + len(channels)))))
        start += len(channels)
    if not groups:
        raise ZooError(f"{getattr(model, 'model_id', 'the model')}: its card lists no outputs.")
    return groups


def value_range(model: Any) -> tuple[float, float]:
    outputs = model.card.zoo.get("outputs") or [{}]
    low, high = outputs[0].get("value_range") or model.value_range
    return float(low), float(high)


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
    """``out_dir/<format>/sample_NNN_<output>[_<channel>].<ext>`` + provenance.json each."""
    from zoo_core import io as zio

    outputs = card_outputs(model)
    low_high = value_range(model)
    affine = slice_affine(images.shape[-2], images.shape[-1], spacing_mm)
    arrays = images.detach().cpu().float().numpy()
    result = WrittenSamples({}, {})
    for fmt in FORMATS:
        folder = out_dir / fmt
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("sample_*"):  # an earlier run with more samples
            stale.unlink()
        record = zio.provenance_record(
            model,
            seed=seed,
            extra={"command": "zoo demo", "format": fmt, "samples": len(arrays)},
        )
        result.provenance[fmt] = zio.write_provenance(folder, record)
        written: list[Path] = []
        for i, sample in enumerate(arrays):
            for out in outputs:
                written += zio.write_sample(
                    sample[out.index],
                    folder / f"sample_{i:03d}_{out.name}",
                    fmt,
                    value_range=low_high,
                    channel_names=out.channels,
                    affine=affine if fmt == "nifti" else None,
                    provenance=record,
                )
        result.folders[fmt] = folder
        result.files[fmt] = written
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
