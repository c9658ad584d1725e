"""``zoo evaluate ID --real SPLIT``: does MR -> CT keep the anatomy, make CT, and cycle back?

No paired CT exists for an MR, so a translation is judged by three things it must do at once,
on the held-out slabs of both domains (``SPLIT/test/domain_a`` and ``domain_b``):

- **anatomy kept:** the brain mask of each translated slice against its input's (Dice over
  the slab as one volume). A mask is the pixels above :data:`MASK_LEVEL` of the value range,
  holes filled, for MR and CT alike: both domains show the brain on a black background.
- **CT made:** inside the input's brain mask, the Wasserstein-1 distance (in HU) of the
  output's values to the real held-out CT's brain values, beside the same distance for the
  input itself read through the CT window (what an identity mapping would give).
- **cycle:** PSNR of MR -> CT -> MR against the input, and of CT -> MR -> CT, over each slab as
  one volume in [0, 1].
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

#: Share of the value range above which a pixel is brain, in either domain (0.1 is -35 HU in
#: the shipped weights' [-50, 100] HU window; real T1 brain voxels sit above 0.28).
MASK_LEVEL = 0.1
#: Slices translated per call.
BATCH = 16


def brain_mask(unit: torch.Tensor) -> np.ndarray:
    """Per-slice brain masks of ``(N, 1, H, W)`` images in [0, 1], holes filled."""
    from scipy import ndimage

    above = unit[:, 0].numpy() > MASK_LEVEL
    return np.stack([ndimage.binary_fill_holes(s) for s in above])


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice of two boolean masks over all their pixels at once."""
    total = a.sum() + b.sum()
    return float(2 * (a & b).sum() / total) if total else 1.0


def slab_psnr(x: torch.Tensor, y: torch.Tensor) -> float:
    """PSNR of two stacks of slices in [0, 1], over all their pixels at once."""
    from zoo_core.plugin_api import psnr

    return float(psnr(x.transpose(0, 1), y.transpose(0, 1), data_range=1.0)[0])


def translate(model: Any, slices: torch.Tensor, direction: str) -> torch.Tensor:
    """A stack of slices ``(N, C, H, W)`` translated ``direction`` by :func:`translate_volume`
    (the stack is its volume's slice axis), back on the CPU in float32."""
    from zoo_cyclegan.volume import translate_volume

    volume = slices.permute(1, 2, 3, 0)  # (C, H, W, N)
    out = translate_volume(model, volume, axis=2, batch_size=BATCH, direction=direction)
    return out.permute(3, 0, 1, 2).float()


def domain_slices(model: Any, folder: Path, intensity: str) -> torch.Tensor:
    """Every usable slice of every volume in ``folder``, as training reads them, stacked."""
    from zoo_cyclegan.data import domain_slices as read

    return torch.stack(read(model.config.data, folder, intensity))


def evenly(stack: torch.Tensor, count: int) -> torch.Tensor:
    """``count`` slices of ``stack`` at evenly spaced positions, ends excluded."""
    positions = torch.linspace(0, len(stack) - 1, count + 2)[1:-1].round().long()
    return stack[positions]


def translation_montage(model: Any, real: str | Path, path: str | Path, rows: int = 4) -> Path:
    """A picture of ``rows`` held-out MR slices, one per row: the MR, its synthetic CT, the MR
    cycled back, and the real held-out CT slice at the same share of its slab."""
    from zoo_core.plugin_api import save_montage, split_parts

    data = model.config.data
    test = split_parts(real)["test"]
    mr = evenly(domain_slices(model, test / "domain_a", data.intensity), rows)
    ct = evenly(domain_slices(model, test / "domain_b", data.intensity_b), rows)
    fake_ct = translate(model, mr, "a2b")
    cycled = translate(model, fake_ct, "b2a")
    tiles = torch.stack([mr, fake_ct, cycled, ct], dim=1).flatten(0, 1)
    labels = ["MR (input)", "synthetic CT", "MR cycled back", "real CT, same level"] * rows
    return save_montage(tiles.clamp(-1, 1), path, value_range=(-1, 1), nrow=4, labels=labels)


def translation_report(
    model: Any, real: str | Path, *, seed: int = 0, device: str | None = "cpu"
) -> dict[str, Any]:
    """The figures above for a CycleGAN on a folder with ``train/`` and ``test/`` parts
    (``seed`` and ``device`` are unused: translation draws nothing at random, and the model
    is where ``zoo evaluate --device`` put it)."""
    from zoo_core.plugin_api import ZooError, split_parts

    data = model.config.data
    if data.intensity_b != "ct":
        raise ZooError("this evaluation measures MR -> CT models: data.intensity_b must be ct.")
    test = split_parts(real)["test"]
    mr = domain_slices(model, test / "domain_a", data.intensity)
    ct = domain_slices(model, test / "domain_b", data.intensity_b)
    fake_ct = translate(model, mr, "a2b")
    cycled_mr = translate(model, fake_ct, "b2a")
    cycled_ct = translate(model, translate(model, ct, "b2a"), "a2b")
    images = dict(mr=mr, ct=ct, fake_ct=fake_ct, cycled_mr=cycled_mr, cycled_ct=cycled_ct)
    unit = {name: (x.clamp(-1, 1) + 1) / 2 for name, x in images.items()}

    low, high = (float(v) for v in data.hu_window)
    mr_mask, ct_mask = brain_mask(unit["mr"]), brain_mask(unit["ct"])
    hu = {name: low + (high - low) * unit[name][:, 0].numpy() for name in ("mr", "ct", "fake_ct")}
    real_hu = hu["ct"][ct_mask]
    from scipy.stats import wasserstein_distance

    output_w1 = wasserstein_distance(hu["fake_ct"][mr_mask], real_hu)
    input_w1 = wasserstein_distance(hu["mr"][mr_mask], real_hu)
    metrics = {
        "n_mr_slices": len(mr),
        "n_ct_slices": len(ct),
        "hu_window": [low, high],
        "brain_dice": dice(mr_mask, brain_mask(unit["fake_ct"])),
        "hu_w1_output": float(output_w1),
        "hu_w1_input": float(input_w1),
        "hu_w1_ratio": float(output_w1 / input_w1) if input_w1 else float("nan"),
        "output_brain_hu_median": float(np.median(hu["fake_ct"][mr_mask])),
        "real_brain_hu_median": float(np.median(real_hu)),
        "cycle_psnr_mr": slab_psnr(unit["cycled_mr"], unit["mr"]),
        "cycle_psnr_ct": slab_psnr(unit["cycled_ct"], unit["ct"]),
    }
    return {"markdown": markdown(metrics, test), "metrics": metrics}


def markdown(m: dict[str, Any], test: Path) -> str:
    """The three figures with their targets (issue 13) as a table."""
    low, high = m["hu_window"]
    rows = [
        ("brain-mask Dice, input MR vs output CT", f"{m['brain_dice']:.3f}", ">= 0.9"),
        (
            "HU distance to real CT brain (W1): output / input",
            f"{m['hu_w1_output']:.1f} / {m['hu_w1_input']:.1f} HU = {m['hu_w1_ratio']:.2f}",
            "<= 0.5",
        ),
        ("cycle PSNR, MR -> CT -> MR", f"{m['cycle_psnr_mr']:.2f} dB", ">= 30 dB"),
        ("cycle PSNR, CT -> MR -> CT", f"{m['cycle_psnr_ct']:.2f} dB", ">= 30 dB"),
    ]
    return "\n".join(
        [
            f"Held-out slabs in {test}: {m['n_mr_slices']} MR and {m['n_ct_slices']} CT "
            f"slices; HU read through the [{low:g}, {high:g}] window.",
            "",
            "| figure | value | target |",
            "|---|---:|---|",
            *(f"| {a} | {b} | {c} |" for a, b, c in rows),
            "",
            f"Median brain HU: output {m['output_brain_hu_median']:.1f}, real CT "
            f"{m['real_brain_hu_median']:.1f}.",
        ]
    )
