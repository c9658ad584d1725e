"""FID and KID of generated images against held-out real ones, beside their floor.

With a few hundred images a distribution metric is mostly bias: FID between two halves of
the same real data is far from 0. So a figure on its own says little; the floor beside it
says what it can reach: the same metric between the training images and the held-out images,
at the same set sizes. A generator that drew new images from the training distribution
would score about the floor, and one that copied its training images would too: the
memorisation check (nearest training image of each sample) tells those apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from zoo_core.errors import ZooError


def held_out_distribution(
    fake: torch.Tensor,
    train: torch.Tensor,
    held_out: torch.Tensor,
    *,
    extractor: str | torch.nn.Module = "inception-fid",
    device: str = "cpu",
    batch_size: int = 32,
) -> dict[str, Any]:
    """FID/KID of ``fake`` vs ``held_out`` and the floor, ``train`` vs ``held_out``.

    All three are (N, C, H, W) in [0, 1]; ``extractor`` is a registered feature network's
    name (or the module itself). The generated set is cut to the training set's
    size (or the other way round), so that both figures come from sets of the same sizes.
    Returns the figures, their ratios to the floor and the set sizes.
    """
    from zoo_core.metrics.distribution import frechet_distance, kernel_inception_distance
    from zoo_core.metrics.features import extract_features

    n = min(len(fake), len(train))
    if n < 2 or len(held_out) < 2:
        raise ZooError(
            f"FID/KID need at least 2 images per set; got {len(fake)} generated, "
            f"{len(train)} training and {len(held_out)} held-out."
        )
    kw = {"batch_size": batch_size, "device": device}
    f_held = extract_features(held_out, extractor, **kw)
    f_fake = extract_features(fake[:n], extractor, **kw)
    f_train = extract_features(train[:n], extractor, **kw)
    fid, fid_floor = frechet_distance(f_held, f_fake), frechet_distance(f_held, f_train)
    (kid, kid_std), (kid_floor, kid_floor_std) = (
        kernel_inception_distance(f_held, f_fake),
        kernel_inception_distance(f_held, f_train),
    )
    return {
        "fid": fid,
        "fid_floor": fid_floor,
        "fid_over_floor": fid / fid_floor if fid_floor > 0 else float("inf"),
        "kid": kid,
        "kid_std": kid_std,
        "kid_floor": kid_floor,
        "kid_floor_std": kid_floor_std,
        "kid_over_floor": kid / kid_floor if kid_floor > 0 else float("inf"),
        "n_generated": n,
        "n_train": n,
        "n_held_out": len(held_out),
        "extractor": extractor if isinstance(extractor, str) else type(extractor).__name__,
    }


#: The two parts of a split folder: trained on, and measured on.
SPLIT_PARTS = ("train", "test")


def split_folder(folder: str | Path) -> bool:
    """Whether ``folder`` holds a split: ``train/`` and ``test/`` sub-folders."""
    return all((Path(folder) / name).is_dir() for name in SPLIT_PARTS)


def split_parts(folder: str | Path) -> dict[str, Path]:
    """``{"train": folder/train, "test": folder/test}``, or an error saying how to make one."""
    folder = Path(folder)
    if not split_folder(folder):
        raise ZooError(
            f"{folder} needs train/ and test/ sub-folders: the floor (and any classifier) "
            "comes from the training part, the figures from the held-out one. "
            "zoo_core.data.shipped.write_mni152(DIR, held_out=True) writes the zoo's MNI152 "
            "split so (`zoo pggan prepare-data mni152 DIR --held-out`: with tissue maps)."
        )
    return {name: folder / name for name in SPLIT_PARTS}


@dataclass
class HeldOutSets:
    """Samples and both real parts, (N, C, H, W) in [0, 1]; as many samples as training
    images (the floor's set sizes)."""

    fake: torch.Tensor
    train: torch.Tensor
    test: torch.Tensor


def held_out_sets(model: Any, split: str | Path, seed: int = 0) -> HeldOutSets:
    """Read both parts of ``split`` as the model's architecture trains on them and draw as
    many samples as the training part holds."""
    from zoo_core.metrics.sets import to_unit, training_set

    parts = split_parts(split)
    train = training_set(model, parts["train"], limit=None).images
    test = training_set(model, parts["test"], limit=None).images
    fake = to_unit(model.generate(n=len(train), seed=seed).float().cpu(), model.value_range)
    return HeldOutSets(fake, train, test)


def held_out_report(
    model: Any,
    split: str | Path,
    *,
    seed: int = 0,
    device: str = "cpu",
    extractor: str | torch.nn.Module = "inception-fid",
    image_channels: int | None = None,
    sets: HeldOutSets | None = None,
) -> dict[str, Any]:
    """An unconditional 2D model on a split folder: FID/KID of its samples against the
    held-out part beside the floor, and each sample's nearest training image.

    ``image_channels``: how many leading channels are the picture that FID/KID look at (the
    rest, segmentation maps, are judged by other figures); default all. A conditional model
    passes ``sets`` with samples drawn for conditions of its own choosing.
    """
    from zoo_core.metrics.memorisation import memorisation

    if sets is None and getattr(model, "conditional", False):
        raise ZooError(
            f"{model.model_id}: the held-out protocol draws unconditional samples; this model "
            "is conditional. Pass --fake PATH (images from `zoo generate`) or --generate N."
        )
    sets = sets or held_out_sets(model, split, seed)
    k = image_channels or sets.fake.shape[1]
    distribution = held_out_distribution(
        sets.fake[:, :k], sets.train[:, :k], sets.test[:, :k], extractor=extractor, device=device
    )
    copies = memorisation(sets.fake, sets.train)
    return {
        "model_id": model.model_id,
        "weights": getattr(model, "weights_info", None),
        "data": str(split),
        "seed": seed,
        "distribution": distribution,
        "memorisation": {
            key: copies[key]
            for key in ("nn_distance_min", "nn_distance_median", "real_nn_distance_median")
        },
    }


def markdown(report: dict[str, Any]) -> str:
    """The report's distribution and memorisation figures as Markdown."""
    d, m = report["distribution"], report["memorisation"]
    return "\n".join(
        [
            f"**{report['model_id']} on {report['data']}: {d['n_generated']} samples vs "
            f"{d['n_held_out']} held-out images**",
            "",
            "| figure | samples | floor: real training images |",
            "|---|---:|---:|",
            f"| FID vs held-out | {d['fid']:.1f} | {d['fid_floor']:.1f} "
            f"(ratio {d['fid_over_floor']:.2f}) |",
            f"| KID vs held-out | {d['kid']:.4f} | {d['kid_floor']:.4f} "
            f"(ratio {d['kid_over_floor']:.2f}) |",
            "",
            f"Nearest training image (RMS distance in [0, 1] units): samples min "
            f"{m['nn_distance_min']:.4f}, median {m['nn_distance_median']:.4f}; between "
            f"neighbouring training images (median) {m['real_nn_distance_median']:.4f}.",
        ]
    )


def split_report(
    model: Any, real: str | Path, *, seed: int = 0, device: str = "cpu"
) -> dict[str, Any]:
    """``zoo evaluate ID --real SPLIT`` for an unconditional 2D model whose architecture
    brings no protocol of its own: :func:`held_out_report` as Markdown and JSON."""
    report = held_out_report(model, real, seed=seed, device=device)
    return {"markdown": markdown(report), "metrics": report}
