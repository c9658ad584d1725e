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

from zoo_cgan3d.baselines import baselines_for, keep_best_gaussian, seam_ratio, slab_metrics
from zoo_cgan3d.reconstruct import reconstruct
from zoo_cgan3d.volumes import find_scans, fit_transform, read_volume
from zoo_core.plugin_api import per_scan

BODY_HU = -500.0
#: The baseline a montage shows beside the cGAN, per task (autoencode has none).
MONTAGE_BASELINE = {"denoise": "median 5^3", "depixelate": "tricubic"}


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
    #: Whole-scan comparison: method (condition, cgan3d, each baseline) -> slab metrics.
    slab: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Mean step across tiling boundaries over the mean step inside blocks (1: no seams).
    seam_ratio: float = float("nan")


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
    montage: str | Path | None = None,
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
    tissue = region_mask(clean, region_hu)
    slab = {
        "condition": slab_metrics(condition_hu, clean, tissue, data_range),
        "cgan3d": slab_metrics(generated, clean, tissue, data_range),
    }
    z = clean.shape[-1] // 2
    shown = {"condition": condition_hu[..., z]}  # the middle slices a montage shows
    for method, run in baselines_for(model.task, model.pixelate_factor).items():
        restored = run(condition_hu)
        slab[method] = slab_metrics(restored, clean, tissue, data_range)
        if method == MONTAGE_BASELINE.get(model.task):
            shown[method] = restored[..., z]
    result.slab = keep_best_gaussian(slab)
    if montage is not None:
        shown[model.model_id or "cgan3d"] = generated[..., z]
        shown["clean"] = clean[..., z]
        save_comparison(shown, montage)
    step = model.block_size if mode == "blocks" else max(1, round(model.block_size * (1 - overlap)))
    result.seam_ratio = seam_ratio(generated, step, tissue)
    for row, volume in (("condition", condition_hu), ("generated", generated)):
        metrics = per_scan(torch.from_numpy(volume)[None], reference, data_range, mask=mask)
        result.rows[row] = {
            "all": {"psnr": metrics["psnr"], "ssim": metrics["ssim"]},
            "region": {"psnr": metrics["psnr_region"], "ssim": metrics["ssim_region"]},
        }
    return result


def save_comparison(slices: dict[str, np.ndarray], path: str | Path) -> Path:
    """A PNG of middle axial slices, left to right in the order given (condition, the task's
    simplest strong baseline, the cGAN, the clean scan), in a brain window (-20..120 HU) so
    that tissue contrast is visible."""
    from zoo_core.plugin_api import save_montage

    tiles = np.stack([np.rot90(v)[None] for v in slices.values()]).astype(np.float32)
    return save_montage(
        tiles, path, value_range=(-20.0, 120.0), nrow=len(tiles), labels=list(slices)
    )


def evaluate_folder(
    model, data: str | Path, max_scans: int = 0, montage: str | Path | None = None, **kwargs: Any
) -> list[ScanResult]:
    """:func:`evaluate_scan` on every scan under ``data`` (``montage``: of the first scan)."""
    return [
        evaluate_scan(
            model, read_volume(p).hu, name=p.name, montage=montage if i == 0 else None, **kwargs
        )
        for i, p in enumerate(find_scans(data, max_scans))
    ]


def table_rows(results: list[ScanResult], task: str) -> list[list[str]]:
    """The paper's layout: per scan a row for the condition and one for the output, then
    their means over the scans."""
    labels = {"condition": f"{task} condition", "generated": "cGAN generated"}
    keys = [(part, metric) for part in ("all", "region") for metric in ("psnr", "ssim")]

    def cells(values: list[float]) -> list[str]:
        return [f"{v:.2f}" if metric == "psnr" else f"{v:.3f}"
                for v, (_, metric) in zip(values, keys, strict=True)]  # fmt: skip

    rows = [
        [r.name, labels[row], *cells([r.rows[row][p][m] for p, m in keys])]
        for r in results
        for row in ("condition", "generated")
    ]
    if len(results) > 1:
        for row in ("condition", "generated"):
            means = [float(np.mean([r.rows[row][p][m] for r in results])) for p, m in keys]
            rows.append(["mean", labels[row], *cells(means)])
    return rows


def _columns(region_name: str) -> list[str]:
    return ["scan", "image", "PSNR all", "SSIM all", f"PSNR {region_name}",
            f"SSIM {region_name}"]  # fmt: skip


def _title(task: str) -> str:
    return f"PSNR (dB) and SSIM, {task} task: condition vs cGAN output"


def results_table(results: list[ScanResult], task: str, region_name: str = "region"):
    """A rich table of :func:`table_rows`."""
    from rich.table import Table

    table = Table(title=_title(task))
    for column in _columns(region_name):
        table.add_column(column, justify="left" if column in ("scan", "image") else "right")
    for row in table_rows(results, task):
        table.add_row(*row)
    return table


def paper_report(model, real: str | Path, *, seed: int = 0, device: str = "cpu") -> dict:
    """``zoo evaluate ID --real SCANS``: Tables I/II on every scan under ``real`` (blended
    overlapping blocks, the config's region), as Markdown and JSON; ``zoo cgan3d evaluate``
    has the options (the paper's tiling, another region)."""
    region = tuple(float(v) for v in model.config.data.region_hu)
    results = evaluate_folder(model, real, region_hu=region, seed=seed)
    region_name = f"region {region[0]:g}..{region[1]:g} HU"
    lines = [f"**{_title(model.task)}**", "", "| " + " | ".join(_columns(region_name)) + " |"]
    lines.append("|" + "---|" * 2 + "---:|" * 4)
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(results, model.task)]
    lines += ["", comparison_markdown(results, region_name)]
    return {"markdown": "\n".join(lines), "metrics": metrics_record(model, results, region)}


def metrics_record(model, results: list[ScanResult], region: tuple[float, float]) -> dict:
    """The JSON of an evaluation: the paper's tables, the whole-scan comparison, the seams."""
    return {
        "model_id": model.model_id,
        "task": model.task,
        "region_hu": list(region),
        "scans": {r.name: r.rows for r in results},
        "comparison": {r.name: r.slab for r in results},
        "seam_ratio": {r.name: r.seam_ratio for r in results},
    }


def comparison_markdown(results: list[ScanResult], region_name: str) -> str:
    """The cGAN against the condition and each baseline, over each whole scan."""
    lines = [
        "**Whole scans: the cGAN against what a user would do instead** (PSNR over the scan "
        f"as one volume and over {region_name}; 3D SSIM; HU, peak = the clean scan's range)",
        "",
        "| scan | method | PSNR (dB) | PSNR tissue (dB) | SSIM |",
        "|---|---|---:|---:|---:|",
    ]
    for r in results:
        for method, m in r.slab.items():
            lines.append(
                f"| {r.name} | {method} | {m['psnr']:.2f} | {m['psnr_tissue']:.2f} "
                f"| {m['ssim']:.4f} |"
            )
    seams = ", ".join(f"{r.name} {r.seam_ratio:.3f}" for r in results)
    lines += ["", f"Seam ratio of the cGAN output (1 = no seams): {seams}"]
    return "\n".join(lines)
