"""``zoo evaluate ID --real SPLIT``: a progressive GAN measured on a held-out part.

``SPLIT`` is a folder with ``train/`` and ``test/`` (``zoo pggan prepare-data mni152 DIR
--held-out`` writes one). The model draws as many samples as the training part has images;
they are scored against the held-out part three ways:

- FID and KID of the image channels, beside the floor: the same metric between the training
  images and the held-out ones, at the same set sizes (:func:`held_out_distribution`);
- the paper's agreement figure: a pixel classifier fitted on the real training images
  predicts each segmentation channel from the image; its ROC AUC against the generated maps
  of the generated images, beside its AUC on the held-out real images;
- the memorisation check: each sample's nearest training image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo_core.plugin_api import ZooError, held_out_distribution, memorisation
from zoo_pggan.agreement import TissueClassifiers
from zoo_pggan.data import training_dataset


def _read(model: Any, folder: Path) -> np.ndarray:
    dataset = training_dataset(model.config.data, folder)
    if len(dataset) < 2:
        raise ZooError(f"{folder}: fewer than 2 images for the progressive GAN's data config.")
    return np.stack([np.asarray(dataset.array[i], dtype=np.float32) for i in range(len(dataset))])


def _unit(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    return ((torch.as_tensor(x).float() + 1.0) / 2.0).clamp(0.0, 1.0)


def held_out_report(
    model: Any,
    real: Path,
    *,
    seed: int = 0,
    device: str = "cpu",
    extractor: str | torch.nn.Module = "inception-fid",
) -> dict:
    """The figures of the module docstring, as a JSON-able dict."""
    real = Path(real)
    parts = {name: real / name for name in ("train", "test")}
    if not all(p.is_dir() for p in parts.values()):
        raise ZooError(
            f"{real} needs train/ and test/ sub-folders: the classifier and the floor are "
            "fitted on the training part, the figures measured on the held-out one. "
            "`zoo pggan prepare-data mni152 DIR --held-out` writes such a folder."
        )
    train, test = _read(model, parts["train"]), _read(model, parts["test"])
    fake = model.generate(n=len(train), seed=seed).float().cpu().numpy()
    n_image = len(model.image_channels)
    distribution = held_out_distribution(
        _unit(fake[:, :n_image]),
        _unit(train[:, :n_image]),
        _unit(test[:, :n_image]),
        device=device,
        extractor=extractor,
    )
    classifiers = TissueClassifiers(n_image, seed=seed).fit(train)
    names = list(model.segmentation_channels)
    agreement = {
        name: {"generated": gen, "held_out_real": ceiling}
        for name, gen, ceiling in zip(
            names, classifiers.auc(fake), classifiers.auc(test), strict=True
        )
    }
    copies = memorisation(_unit(fake), _unit(train))
    return {
        "model_id": model.model_id,
        "weights": getattr(model, "weights_info", None),
        "data": str(real),
        "seed": seed,
        "distribution": distribution,
        "agreement_auc": agreement,
        "memorisation": {
            key: copies[key]
            for key in ("nn_distance_min", "nn_distance_median", "real_nn_distance_median")
        },
    }


def markdown(report: dict) -> str:
    d, m = report["distribution"], report["memorisation"]
    sizes = f"{d['n_generated']} vs {d['n_held_out']} held-out"
    lines = [
        f"**{report['model_id']} on {report['data']}: {sizes} images**",
        "",
        "| figure | generated | floor: real training images |",
        "|---|---:|---:|",
        f"| FID vs held-out | {d['fid']:.1f} | {d['fid_floor']:.1f} "
        f"(ratio {d['fid_over_floor']:.2f}) |",
        f"| KID vs held-out | {d['kid']:.4f} | {d['kid_floor']:.4f} "
        f"(ratio {d['kid_over_floor']:.2f}) |",
        "",
        "| agreement of image and map (ROC AUC) | generated | held-out real |",
        "|---|---:|---:|",
    ]
    for name, row in report["agreement_auc"].items():
        lines.append(f"| {name} | {row['generated']:.4f} | {row['held_out_real']:.4f} |")
    lines += [
        "",
        f"Nearest training image (RMS distance in [0, 1] units): samples min "
        f"{m['nn_distance_min']:.4f}, median {m['nn_distance_median']:.4f}; between "
        f"neighbouring training images (median) {m['real_nn_distance_median']:.4f}.",
    ]
    return "\n".join(lines)


def paper_report(model: Any, real: str | Path, *, seed: int = 0, device: str = "cpu") -> dict:
    """``zoo evaluate ID --real SPLIT``: :func:`held_out_report` as Markdown and JSON."""
    report = held_out_report(model, Path(real), seed=seed, device=device)
    return {"markdown": markdown(report), "metrics": report}
