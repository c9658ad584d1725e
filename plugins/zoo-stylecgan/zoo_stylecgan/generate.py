"""Writing what ``zoo stylecgan generate`` makes, through zoo_core.io's writers.

CT slices go out as PNG (the HU window), NIfTI and DICOM (HU through the window's inverse),
all marked synthetic with the provenance record; perturbed maps are synthetic anatomy and are
written (and marked) too; the montage shows map | style | result for each sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo_core import io as zio
from zoo_stylecgan.stylize import read_condition, read_style, stylize, window_of


def _gray_picture(maps: torch.Tensor, values: Sequence[float]) -> np.ndarray:
    """Class maps ``(n, 1, R, R)`` drawn with their gray values, in [-1, 1] for montages."""
    gray = np.asarray(values, dtype=np.float64)[maps.numpy().astype(np.int64)]
    return gray / 255.0 * 2.0 - 1.0


def run_generate(
    model: Any,
    *,
    condition: Path,
    out_dir: Path,
    style: Path | None = None,
    style_map: Path | None = None,
    content: Path | None = None,
    perturb: bool = False,
    perturb_magnitude: float | None = None,
    n: int = 4,
    seed: int = 0,
    adapt_steps: int = 20,
    lr: float | None = None,
    formats: Sequence[str] = ("png", "nifti", "dicom"),
    vgg_weights: str | None = None,
    allow_random_vgg: bool = False,
    untrained: bool = False,
) -> str:
    """Generate and write; returns a one-paragraph summary for the command line."""
    from zoo_stylecgan.losses import SegmentLosses

    cond = read_condition(condition, model)
    style_pair = read_style(style, model, style_map) if style is not None else None
    content_image = read_style(content, model)[0] if content is not None else None
    losses, vgg_source = None, None
    if style_pair is not None and adapt_steps > 0:
        train = model.config.train.copy()
        if vgg_weights:
            train.vgg_weights = str(vgg_weights)
        if allow_random_vgg:
            train.vgg_allow_random = True
        losses = SegmentLosses.from_config(train, model.num_classes).to(model.device)
        vgg_source = losses.features.source
    result = stylize(
        model,
        cond,
        n=n,
        seed=seed,
        perturb=perturb,
        perturb_magnitude=perturb_magnitude,
        style=style_pair,
        content=content_image,
        losses=losses,
        adapt_steps=adapt_steps,
        lr=lr,
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    extra = {
        "command": "zoo stylecgan generate",
        "style": str(style) if style else None,
        "style_map": str(style_map) if style_map else ("derived from HU" if style else None),
        "content": str(content) if content else None,
        "perturb": perturb,
        "perturb_magnitude": perturb_magnitude,
        "adapt_steps": adapt_steps if style_pair is not None else 0,
        "adapt_losses": result.adapt_history,
        "vgg19": vgg_source,
        "hu_window": [float(v) for v in model.config.data.hu_window],
        "untrained": untrained,
    }
    if untrained:
        extra["note"] = "untrained: randomly initialised weights, not a trained model"
    inputs = [p for p in (condition, style, style_map, content) if p is not None]
    record = zio.provenance_record(model, seed=seed, conditions=inputs, extra=extra)
    zio.write_provenance(out_dir, record)
    window = window_of(model)
    written = 0
    for j, image in enumerate(result.images):
        stem = out_dir / f"sample_{j:03d}"
        for fmt in formats:
            written += len(
                zio.write_sample(
                    image.numpy(),
                    stem,
                    fmt,
                    value_range=model.value_range,
                    intensity_inverse=window.inverse,
                    provenance=record,
                    modality="CT",
                )
            )
        if perturb:
            gray = np.asarray(model.label_values)[result.maps[j].numpy().astype(np.int64)]
            zio.write_png(gray, out_dir / f"map_{j:03d}", value_range=(0, 255), provenance=record)
    maps = _gray_picture(result.maps, model.label_values)
    tiles, labels = [], []
    for j in range(len(result.images)):
        tiles.append(maps[j])
        labels.append(f"map {j}" + (" (perturbed)" if perturb else ""))
        if result.style is not None:
            tiles.append(result.style[0].numpy())
            labels.append("style")
        tiles.append(result.images[j].numpy())
        labels.append(f"result {j}")
    columns = 3 if result.style is not None else 2
    zio.save_montage(np.stack(tiles), out_dir / "montage.png", value_range=(-1.0, 1.0),
                     nrow=columns, labels=labels)  # fmt: skip
    summary = (
        f"Wrote {len(result.images)} synthetic CT slice(s) ({written} files: "
        f"{', '.join(formats)}), montage.png and provenance.json to {out_dir}"
    )
    if losses is not None:
        summary += f"; G adapted to {style} for {adapt_steps} steps (VGG-19: {vgg_source})"
    return summary
