"""The paper's evaluation (Tables I and II): PSNR and SSIM per scan, condition vs generated.

For each clean scan the task's condition is made (as in training, on the equalised scan),
the model reconstructs the whole scan from it, and both the condition and the output are
compared with the clean scan in HU: PSNR and SSIM are computed per axial slice and averaged
over all slices (Table I) and over the slices' region-mask voxels (Table II's lung region;
any HU interval, e.g. brain tissue for a head CT), with the core's
:func:`zoo_core.metrics.image.per_scan`. L (the peak) is the clean scan's HU range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo_cgan3d.reconstruct import reconstruct
from zoo_cgan3d.volumes import find_scans, fit_transform, read_volume
from zoo_core.metrics.image import per_scan

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


@dataclass
class ScanResult:
    name: str
    rows: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


def evaluate_scan(
    model,
    hu: np.ndarray,
    *,
    name: str = "scan",
    region_hu: tuple[float, float] = (-1000.0, -400.0),
    mode: str = "sliding",
    overlap: float = 0.5,
    sw_batch_size: int = 8,
    seed: int = 0,
) -> ScanResult:
    """Table rows for one clean scan: ``condition`` and ``generated``, each ``all``/``region``.

    The condition is made as in training: on the equalised clean scan, with the model's task
    and a generator seeded with ``seed``; the same recorded transform maps it back to HU.
    """
    data_cfg = model.config.data
    window = tuple(float(v) for v in data_cfg.hu_window)
    clean = np.clip(np.asarray(hu, dtype=np.float32), *window)
    tf = fit_transform(data_cfg, clean)
    rng = torch.Generator(device=model.device).manual_seed(seed)
    x = torch.as_tensor(tf.forward(clean))[None, None].to(model.device)
    condition = model.make_condition(x, rng)[0, 0].cpu().numpy()
    condition_hu = np.asarray(tf.inverse(condition), dtype=np.float32)
    generated = reconstruct(
        model,
        condition_hu,
        transform=tf,
        mode=mode,
        overlap=overlap,
        sw_batch_size=sw_batch_size,
        seed=seed,
    ).hu
    data_range = float(clean.max() - clean.min()) or 1.0
    mask = torch.from_numpy(region_mask(clean, region_hu))[None]
    reference = torch.from_numpy(clean)[None]
    result = ScanResult(name)
    for row, volume in (("condition", condition_hu), ("generated", generated)):
        metrics = per_scan(torch.from_numpy(volume)[None], reference, data_range, mask=mask)
        result.rows[row] = {
            "all": {"psnr": metrics["psnr"], "ssim": metrics["ssim"]},
            "region": {"psnr": metrics["psnr_region"], "ssim": metrics["ssim_region"]},
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
