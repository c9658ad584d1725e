"""``zoo evaluate ID --real SPLIT``: does a generated slice keep its map and take the style?

Krishna & Mueller's G draws a CT slice for a region map in the style of another slice. On
the held-out slab (``SPLIT/test``, or ``SPLIT`` itself when it has no ``test/``), every slice
is used once as the content: its map y and its CT x_o. Its style slice x_s is the slab's
slice half the slab away (19-20 slices off on the shipped split; training draws them at
least ``data.style_min_gap`` off).
G is adapted to x_s for that map (``adapt_steps``, as ``zoo generate --style`` does) and
draws one sample, which is judged twice:

- **map kept:** the sample in HU is re-segmented with the map's own rule
  (:func:`zoo_stylecgan.regions.region_map`), and each region's Dice against y is taken over
  the whole slab at once. The same figure for x_o itself is the ceiling: 1 for maps made at
  the model's size (``prepare-headct --size``), less where resampling moved their bounds.
- **style taken:** for each region in both maps, the sample's mean HU over y's region is
  compared with x_s's mean over its own region and x_o's mean over y's: the sample should be
  nearer the style's. Reported per region as the mean distance to each and the share of
  slices nearer the style.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

#: zoo generate's default adaptation length (``--adapt-steps``).
ADAPT_STEPS = 20


def held_out_slices(model: Any, real: str | Path) -> tuple[Path, list[Any]]:
    """The held-out folder and its slices (CT in [-1, 1] and map, at the model's side)."""
    from zoo_core.plugin_api import DataError
    from zoo_stylecgan.data import RegionPairs

    folder = Path(real)
    if (folder / "test").is_dir():
        folder = folder / "test"
    data = model.config.data.copy()
    data.spatial_size = [model.resolution, model.resolution]
    slices = RegionPairs(data, folder).slices
    if len(slices) < 2:
        raise DataError(f"{folder}: the evaluation needs at least two slices (content and style).")
    return folder, sorted(slices, key=lambda s: (s.source, s.position))


def style_partner(index: int, count: int) -> int:
    """The style slice of slice ``index``: half the slab away, wrapping around."""
    return (index + count // 2) % count


def draw(model: Any, item: Any, partner: Any, seed: int, adapt_steps: int) -> torch.Tensor:
    """One sample ``(1, 1, R, R)`` in [-1, 1] for ``item``'s map in ``partner``'s style, G
    adapted with ``item``'s CT as the content (what ``zoo generate --style --content`` does)."""
    generator = torch.Generator(device=model.device).manual_seed(int(seed))
    with torch.no_grad():
        sample = model.sample(
            1,
            item.label[None].to(model.device),
            generator,
            style=partner.image[None],
            style_map=partner.label[None],
            content=item.image[None],
            adapt_steps=adapt_steps,
        )
    return sample.float().clamp(-1, 1).cpu()


def style_montage(
    model: Any, real: str | Path, path: str | Path, *, rows: int = 4, adapt_steps: int = ADAPT_STEPS
) -> Path:
    """A picture of ``rows`` held-out slices, evenly spread over the slab, one per row: the
    map, the real slice it was drawn from (the content), the style slice, and the sample."""
    from zoo_core.plugin_api import save_montage

    _, slices = held_out_slices(model, real)
    count = len(slices)
    tiles, labels = [], []
    for i in np.linspace(0, count - 1, min(rows, count)).round().astype(int):
        item, partner = slices[i], slices[style_partner(i, count)]
        grey = item.label[None].float() / (model.num_classes - 1) * 2 - 1  # regions as greys
        sample = draw(model, item, partner, int(i), adapt_steps)
        tiles += [grey, item.image[None], partner.image[None], sample]
        labels += ["region map", "real slice (content)", "style slice", "synthetic"]
    return save_montage(torch.cat(tiles), path, value_range=(-1, 1), nrow=4, labels=labels)


def region_dice(predicted: np.ndarray, truth: np.ndarray, num_classes: int) -> list[float | None]:
    """Per-region Dice over all pixels at once; None for a region in neither."""
    out: list[float | None] = []
    for k in range(num_classes):
        a, b = predicted == k, truth == k
        total = int(a.sum() + b.sum())
        out.append(2 * float((a & b).sum()) / total if total else None)
    return out


def region_means(hu: np.ndarray, labels: np.ndarray, num_classes: int) -> list[float | None]:
    """Mean HU of each region of one slice; None where the region is absent."""
    return [float(hu[labels == k].mean()) if (labels == k).any() else None
            for k in range(num_classes)]  # fmt: skip


def style_report(
    model: Any,
    real: str | Path,
    *,
    seed: int = 0,
    device: str | None = None,
    adapt_steps: int = ADAPT_STEPS,
) -> dict[str, Any]:
    """The figures above (``device`` is unused: the model is where ``zoo evaluate`` put it)."""
    from zoo_core.plugin_api import report_progress
    from zoo_stylecgan.regions import SCHEMES, region_map
    from zoo_stylecgan.stylize import window_of

    folder, slices = held_out_slices(model, real)
    window = window_of(model)

    def hu_of(unit: np.ndarray) -> np.ndarray:
        # to 1/1000 HU: the window's float round trip must not move a stored 15 HU (a
        # region bound) to 14.99999 and into the region below
        return np.round(window.inverse(unit), 3)

    scheme = str(model.config.data.region_scheme)
    names = SCHEMES[scheme].names
    k = model.num_classes
    count = len(slices)
    partners = [style_partner(i, count) for i in range(count)]
    # Each real slice is one slice's content and another's style: read each once.
    contents = [hu_of(item.image.numpy()[0]) for item in slices]
    maps = [item.label.numpy()[0] for item in slices]
    styles = [contents[j] for j in partners]
    style_maps = [maps[j] for j in partners]
    samples = []
    for i, item in enumerate(slices):
        sample = draw(model, item, slices[partners[i]], int(seed) + i, adapt_steps)
        samples.append(hu_of(sample.numpy()[0, 0]))
        report_progress("generating held-out slices", i + 1, count)

    truth = np.stack(maps)
    resegmented = np.stack([region_map(hu, scheme) for hu in samples])
    ceiling = np.stack([region_map(hu, scheme) for hu in contents])
    dice = region_dice(resegmented, truth, k)
    dice_ceiling = region_dice(ceiling, truth, k)

    to_style: list[list[float]] = [[] for _ in range(k)]
    to_content: list[list[float]] = [[] for _ in range(k)]
    for sample, content, style, y, ys in zip(samples, contents, styles, maps, style_maps,
                                             strict=True):  # fmt: skip
        for r, (g, c, s) in enumerate(zip(region_means(sample, y, k), region_means(content, y, k),
                                          region_means(style, ys, k), strict=True)):  # fmt: skip
            if r and g is not None and s is not None:  # region 0 is the background
                to_style[r].append(abs(g - s))
                to_content[r].append(abs(g - c))
    regions = []
    for r in range(k):
        regions.append(
            {
                "region": names[r],
                "dice": dice[r],
                "dice_real": dice_ceiling[r],
                "slices_compared": len(to_style[r]),
                "hu_to_style": float(np.mean(to_style[r])) if to_style[r] else None,
                "hu_to_content": float(np.mean(to_content[r])) if to_content[r] else None,
                "share_nearer_style": (
                    float(np.mean(np.less(to_style[r], to_content[r]))) if to_style[r] else None
                ),
            }
        )
    metrics = {
        "n_slices": count,
        "adapt_steps": int(adapt_steps),
        "region_scheme": scheme,
        "regions": regions,
        "min_tissue_dice": min(
            (r["dice"] for r in regions[1:] if r["dice"] is not None), default=None
        ),
    }
    return {"markdown": markdown(metrics, folder), "metrics": metrics}


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def markdown(m: dict[str, Any], folder: Path) -> str:
    """One row per region: Dice (target >= 0.9) and the HU distances (nearer the style)."""
    rows = [
        f"| {r['region']} | {_num(r['dice'], '.3f')} | {_num(r['dice_real'], '.3f')} | "
        f"{_num(r['hu_to_style'], '.2f')} | {_num(r['hu_to_content'], '.2f')} | "
        f"{_num(r['share_nearer_style'], '.0%')} ({r['slices_compared']}) |"
        for r in m["regions"]
    ]
    return "\n".join(
        [
            f"Held-out slab {folder}: {m['n_slices']} slices, each the content once, its style "
            f"slice half the slab away; G adapted {m['adapt_steps']} steps per slice.",
            "",
            "| region | Dice, sample re-segmented (>= 0.9) | Dice, the real slice | "
            "mean HU to the style's | to the content's | slices nearer the style (compared) |",
            "|---|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
