"""``zoo evaluate ID --real SPLIT``: a progressive GAN measured on a held-out part.

``SPLIT`` is a folder with ``train/`` and ``test/`` (``zoo pggan prepare-data mni152 DIR
--held-out`` writes one). The model draws as many samples as the training part has images;
beside the zoo's held-out figures for any unconditional model (FID and KID of the image
channels against the held-out part with their floor, each sample's nearest training image),
it reports the paper's own figure: a pixel classifier fitted on the real training images
predicts each segmentation channel from the image; its ROC AUC against the generated maps
of the generated images, beside its AUC on the held-out real images.

A fundus model given its training folder instead (one photograph ships, so there is no
held-out part) gets the paper's figure on its samples alone: see :func:`vessel_report`.
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


#: Samples the vessel figure is taken over.
VESSEL_SAMPLES = 64


def vessel_auc(items: torch.Tensor) -> float:
    """ROC AUC of the vesselness of each item's photograph against its own vessel channel,
    over the pixels of all items inside the field of view.

    Items are ``(N, 4, H, W)`` in [-1, 1] (R, G, B, vessels). Each photograph is brought to
    the filter's working size as the training maps were made there, and the vessel channel
    with it (nearest neighbour, > 0 is vessel).
    """
    import numpy as np
    import torch.nn.functional as F

    from zoo_core.plugin_api import import_optional
    from zoo_pggan.prepare import VESSEL_WORK_SIZE, vesselness

    metrics = import_optional(
        "sklearn.metrics", extra="zoo-pggan[data]", needed_for="the vessel agreement figure"
    )

    size = (VESSEL_WORK_SIZE, VESSEL_WORK_SIZE)
    photos = F.interpolate(items[:, :3].float(), size=size, mode="bilinear", align_corners=False)
    maps = F.interpolate(items[:, 3:4].float(), size=size, mode="nearest")[:, 0] > 0
    rgb = ((photos.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    scores, labels = [], []
    for photo, vessels in zip(rgb, maps.numpy(), strict=True):
        ridges, inner = vesselness(photo)
        scores.append(ridges[inner])
        labels.append(vessels[inner])
    y = np.concatenate(labels)
    if y.all() or not y.any():
        return float("nan")  # AUC needs both classes
    return float(metrics.roc_auc_score(y, np.concatenate(scores)))


def vessel_report(model: Any, real: str | Path, *, seed: int = 0, device: str = "cpu") -> dict:
    """The paper's agreement figure for a fundus model, by the filter that made its maps.

    Beers et al. segment each generated photograph with a U-net and compare the result with
    the vessel map generated beside it (ROC AUC 0.97). The zoo's fundus maps come from a
    vesselness filter (:func:`zoo_pggan.prepare.vesselness`), so the same filter plays the
    U-net: its response on each generated photograph is scored against the generated map,
    beside the same figure on the real training pictures (the ceiling). Each sample's
    nearest training picture says whether the model copies its one photograph.
    """
    from zoo_core.plugin_api import memorisation, training_set

    train = training_set(model, Path(real), limit=None).images  # [0, 1]
    fake = model.generate(n=VESSEL_SAMPLES, seed=seed).float().cpu()
    if fake.shape[-2:] != train.shape[-2:]:  # a checkpoint from before the last resolution
        train = torch.nn.functional.interpolate(train, size=fake.shape[-2:], mode="area")
    copies = memorisation((fake + 1) / 2, train)
    metrics = {
        "model_id": model.model_id,
        "weights": getattr(model, "weights_info", None),
        "data": str(real),
        "seed": seed,
        "n_generated": len(fake),
        "n_real": len(train),
        "vessel_auc": {"generated": vessel_auc(fake), "real": vessel_auc(train * 2 - 1)},
        "memorisation": {
            key: copies[key]
            for key in ("nn_distance_min", "nn_distance_median", "real_nn_distance_median")
        },
    }
    auc, m = metrics["vessel_auc"], metrics["memorisation"]
    text = "\n".join(
        [
            f"**{model.model_id} on {real}: {len(fake)} samples, {len(train)} real pictures**",
            "",
            "| vesselness of the photograph vs its vessel map (ROC AUC) | samples | real |",
            "|---|---:|---:|",
            f"| vessels | {auc['generated']:.4f} | {auc['real']:.4f} |",
            "",
            f"Nearest training picture (RMS distance in [0, 1] units): samples min "
            f"{m['nn_distance_min']:.4f}, median {m['nn_distance_median']:.4f}; between "
            f"neighbouring training pictures (median) {m['real_nn_distance_median']:.4f}.",
        ]
    )
    return {"markdown": text, "metrics": metrics}


def paper_report(model: Any, real: str | Path, *, seed: int = 0, device: str = "cpu") -> dict:
    """``zoo evaluate ID --real SPLIT``: :func:`report` as Markdown and JSON; a fundus model
    given its picture folder: :func:`vessel_report`."""
    from zoo_core.plugin_api import split_folder, split_parts

    if not split_folder(real) and "vessels" in model.segmentation_channels:
        return vessel_report(model, real, seed=seed, device=device)
    split_parts(real)  # a clear error when there is no split
    result = report(model, real, seed=seed, device=device)
    return {"markdown": markdown(result), "metrics": result}
