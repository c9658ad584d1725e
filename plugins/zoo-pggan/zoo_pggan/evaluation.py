"""``zoo evaluate ID --real SPLIT``: a progressive GAN measured on a held-out part.

``SPLIT`` is a folder with ``train/`` and ``test/`` (``zoo pggan prepare-data mni152 DIR
--held-out`` writes one). The model draws as many samples as the training part has images;
beside the zoo's held-out figures for any unconditional model (FID and KID of the image
channels against the held-out part with their floor, each sample's nearest training image),
it reports the paper's own figure: a pixel classifier fitted on the real training images
predicts each segmentation channel from the image; its ROC AUC against the generated maps
of the generated images, beside its AUC on the held-out real images.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from zoo_core.plugin_api import held_out_markdown as distribution_markdown
from zoo_core.plugin_api import held_out_report, held_out_sets
from zoo_pggan.agreement import TissueClassifiers


def report(
    model: Any,
    real: str | Path,
    *,
    seed: int = 0,
    device: str = "cpu",
    extractor: str | torch.nn.Module = "inception-fid",
) -> dict:
    """The figures of the module docstring, as a JSON-able dict."""
    sets = held_out_sets(model, real, seed)
    n_image = len(model.image_channels)
    out = held_out_report(
        model, real, seed=seed, device=device, extractor=extractor, image_channels=n_image,
        sets=sets,
    )  # fmt: skip
    signed = {name: (x * 2 - 1).numpy() for name, x in vars(sets).items()}  # to [-1, 1]
    classifiers = TissueClassifiers(n_image, seed=seed).fit(signed["train"])
    out["agreement_auc"] = {
        name: {"generated": gen, "held_out_real": ceiling}
        for name, gen, ceiling in zip(
            model.segmentation_channels,
            classifiers.auc(signed["fake"]),
            classifiers.auc(signed["test"]),
            strict=True,
        )
    }
    return out


def markdown(result: dict) -> str:
    lines = [
        distribution_markdown(result),
        "",
        "| agreement of image and map (ROC AUC) | samples | held-out real |",
        "|---|---:|---:|",
    ]
    for name, row in result["agreement_auc"].items():
        lines.append(f"| {name} | {row['generated']:.4f} | {row['held_out_real']:.4f} |")
    return "\n".join(lines)


def paper_report(model: Any, real: str | Path, *, seed: int = 0, device: str = "cpu") -> dict:
    """``zoo evaluate ID --real SPLIT``: :func:`report` as Markdown and JSON."""
    result = report(model, real, seed=seed, device=device)
    return {"markdown": markdown(result), "metrics": result}
