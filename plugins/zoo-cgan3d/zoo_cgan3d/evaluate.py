"""The paper's evaluation (Tables I and II): PSNR and SSIM per scan, condition vs generated.

For each clean scan the task's condition is made (as in training, on the equalised scan),
the model reconstructs the whole scan from it, and both the condition and the output are
compared with the clean scan in HU: PSNR and SSIM are computed per axial slice and averaged
over all slices (Table I) and over the slices' region-mask voxels (Table II's lung region;
any HU interval, e.g. brain tissue for a head CT). PSNR uses L = the clean scan's HU range;
SSIM the standard 11x11 Gaussian window (σ = 1.5), with the same L. Slices whose PSNR is
infinite (identical) are left out of the PSNR mean and counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo_cgan3d.intensity import HUEqualizer
from zoo_cgan3d.reconstruct import reconstruct
from zoo_cgan3d.volumes import find_scans, read_volume
from zoo_core.errors import ZooError

SSIM_KERNEL = 11
SSIM_SIGMA = 1.5
BODY_HU = -500.0


def region_mask(hu: np.ndarray, region_hu: tuple[float, float]) -> np.ndarray:
    """Voxels within ``region_hu`` that lie inside the body (holes filled per axial slice).

    With the lung interval [-1000, -400] the filled body keeps the lungs and drops the air
    around the patient; with a tissue interval (e.g. [5, 100] HU) it is a brain mask.
    """
    from scipy.ndimage import binary_fill_holes

    body = hu > BODY_HU
    filled = np.stack([binary_fill_holes(body[..., z]) for z in range(hu.shape[-1])], axis=-1)
    return filled & (hu >= region_hu[0]) & (hu <= region_hu[1])


def slice_metrics(
    reference: np.ndarray,
    test: np.ndarray,
    data_range: float,
    mask: np.ndarray | None = None,
    chunk: int = 16,
) -> dict[str, float]:
    """Mean per-axial-slice PSNR and SSIM (over the mask's voxels when given)."""
    from monai.metrics.regression import compute_ssim_and_cs

    if reference.shape != test.shape:
        raise ZooError(f"shapes differ: {reference.shape} vs {test.shape}")
    half = SSIM_KERNEL // 2
    psnrs, ssims, identical = [], [], 0
    for start in range(0, reference.shape[-1], chunk):
        stop = min(start + chunk, reference.shape[-1])
        ref = torch.from_numpy(np.moveaxis(reference[..., start:stop], -1, 0).copy()).float()
        out = torch.from_numpy(np.moveaxis(test[..., start:stop], -1, 0).copy()).float()
        ref, out = ref[:, None], out[:, None]
        ssim_map, _ = compute_ssim_and_cs(
            out, ref, 2, [SSIM_KERNEL] * 2, [SSIM_SIGMA] * 2, data_range=data_range
        )
        err = (ref - out) ** 2
        if mask is None:
            m = torch.ones_like(ref, dtype=torch.bool)
        else:
            m = torch.from_numpy(np.moveaxis(mask[..., start:stop], -1, 0).copy())[:, None]
        m_ssim = m[..., half:-half, half:-half]
        for k in range(ref.shape[0]):
            if m[k].sum() == 0:
                continue
            mse = float(err[k][m[k]].mean())
            if mse == 0:
                identical += 1
            else:
                psnrs.append(10 * math.log10(data_range**2 / mse))
            if m_ssim[k].any():
                ssims.append(float(ssim_map[k][m_ssim[k]].mean()))
    return {
        "psnr": float(np.mean(psnrs)) if psnrs else math.inf,
        "ssim": float(np.mean(ssims)) if ssims else math.nan,
        "slices": len(psnrs) + identical,
        "identical_slices": identical,
    }


@dataclass
class ScanResult:
    name: str
    rows: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


def evaluate_scan(
    model,
    hu: np.ndarray,
    *,
    name: str = "scan",
    hu_window: tuple[float, float] = (-1024.0, 3071.0),
    equalize: bool = True,
    region_hu: tuple[float, float] = (-1000.0, -400.0),
    mode: str = "sliding",
    overlap: float = 0.5,
    sw_batch_size: int = 8,
    seed: int = 0,
) -> ScanResult:
    """Table rows for one clean scan: ``condition`` and ``generated``, each ``all``/``region``."""
    clean = np.clip(np.asarray(hu, dtype=np.float32), *hu_window)
    eq = HUEqualizer.fit(clean, hu_window, equalize)
    rng = torch.Generator(device=model.device).manual_seed(seed)
    x = torch.from_numpy(eq.forward(clean))[None, None]
    condition = model.make_condition(x.to(model.device), rng)
    condition_hu = eq.inverse(condition[0, 0].cpu().numpy())
    generated = reconstruct(
        model,
        condition_hu,
        equalizer=eq,
        mode=mode,
        overlap=overlap,
        sw_batch_size=sw_batch_size,
        seed=seed,
    ).hu
    data_range = float(clean.max() - clean.min()) or 1.0
    mask = region_mask(clean, region_hu)
    result = ScanResult(name)
    for row, volume in (("condition", condition_hu), ("generated", generated)):
        result.rows[row] = {
            "all": slice_metrics(clean, volume, data_range),
            "region": slice_metrics(clean, volume, data_range, mask),
        }
    return result


def evaluate_folder(model, data: str | Path, max_scans: int = 0, **kwargs: Any) -> list[ScanResult]:
    """:func:`evaluate_scan` on every scan under ``data``."""
    return [
        evaluate_scan(model, read_volume(p).hu, name=p.name, **kwargs)
        for p in find_scans(data, max_scans)
    ]


def results_table(results: list[ScanResult], task: str, region_name: str = "region"):
    """A rich table in the paper's layout: one row per scan and input, plus the mean."""
    from rich.table import Table

    table = Table(title=f"PSNR (dB) and SSIM, {task} task: condition vs cGAN output")
    for column in (
        "scan",
        "image",
        "PSNR all",
        "SSIM all",
        f"PSNR {region_name}",
        f"SSIM {region_name}",
    ):
        table.add_column(column, justify="left" if column in ("scan", "image") else "right")
    labels = {"condition": f"{task} condition", "generated": "cGAN generated"}
    for r in results:
        for row in ("condition", "generated"):
            m = r.rows[row]
            table.add_row(
                r.name,
                labels[row],
                f"{m['all']['psnr']:.2f}",
                f"{m['all']['ssim']:.3f}",
                f"{m['region']['psnr']:.2f}",
                f"{m['region']['ssim']:.3f}",
            )
    if len(results) > 1:
        for row in ("condition", "generated"):
            means = [
                np.mean([r.rows[row][part][metric] for r in results])
                for part in ("all", "region")
                for metric in ("psnr", "ssim")
            ]
            table.add_row(
                "mean",
                labels[row],
                f"{means[0]:.2f}",
                f"{means[1]:.3f}",
                f"{means[2]:.2f}",
                f"{means[3]:.3f}",
            )
    return table
