"""``zoo evaluate ID --real FOLDER``: does MGAN put real MR texture back onto smooth anatomy?

Every slice of the held-out part (``FOLDER/test`` of a split, or every slice of a plain
folder of volumes, e.g. another head) is blurred as in training (the content image) and
rendered by the generator. Three figures compare the rendering and the blurred input with
the real slice:

- **texture (Gram distance):** Gatys' Gram matrices of the ImageNet Inception-v3 maps at
  five depths (the style layers of the zoo's style cGAN), each sample's relative distance
  ``|G(x) - G(real)| / |G(real)|`` averaged over layers, then over slices. It says how far
  the texture statistics are from the real slice's, whatever the pixels' exact places.
- **detail energy:** the energy of each image minus its Gaussian blur (sigma 1 pixel) over
  the real slices': 1 is as much fine detail as the truth, the blurred input far below.
- **PSNR** against the real slice, over the part as one set: whether the detail lies where
  the truth's does.

On a split, FID and KID of the renderings against the held-out slices sit beside the floor
(the training slices against them) and the blurred input's: Li & Wand's model should bring
the input's distribution most of the way to the real one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

#: Inception-v3 layers whose Gram matrices compare textures: shallow to deep, as Gatys take
#: relu1_1..relu5_1 (the style cGAN's style layers).
GRAM_LAYERS = ("Conv2d_1a_3x3", "Conv2d_2b_3x3", "Conv2d_4a_3x3", "Mixed_5d", "Mixed_6e")


def real_slices(model: Any, folder: Path) -> torch.Tensor:
    """Every slice of the volumes in ``folder``, read as the model trains, in [-1, 1]."""
    from zoo_core.plugin_api import from_unit, training_set

    return from_unit(training_set(model, folder, limit=None).images, model.value_range)


@torch.no_grad()
def render(
    model: Any, real: torch.Tensor, batch_size: int = 16
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(blurred input, rendering)`` of each real slice, both in [-1, 1] on the CPU."""
    from zoo_mgan.model import gaussian_blur

    content = gaussian_blur(real, model.blur)
    out = [
        model.generate(condition=chunk.to(model.device)).float().cpu()
        for chunk in content.split(batch_size)
    ]
    return content, torch.cat(out)


@torch.no_grad()
def gram_distances(
    real: torch.Tensor, candidates: list[torch.Tensor], batch_size: int = 16
) -> list[float]:
    """For each candidate set, the mean over slices of the mean over :data:`GRAM_LAYERS` of
    the relative Gram distance to the real slice; the real slices' Grams are taken once."""
    from zoo_core.plugin_api import InceptionFeatures, gram_matrix

    network = InceptionFeatures(GRAM_LAYERS)
    distances: list[list[torch.Tensor]] = [[] for _ in candidates]
    for i, r in enumerate(real.split(batch_size)):
        real_grams = [gram_matrix(f) for f in network(r)]
        for out, images in zip(distances, candidates, strict=True):
            x = images[i * batch_size : (i + 1) * batch_size]
            per_layer = [
                (gram_matrix(fx) - gr).flatten(1).norm(dim=1)
                / gr.flatten(1).norm(dim=1).clamp_min(1e-12)
                for fx, gr in zip(network(x), real_grams, strict=True)
            ]
            out.append(torch.stack(per_layer).mean(0))
    return [float(torch.cat(d).mean()) for d in distances]


def set_psnr(images: torch.Tensor, real: torch.Tensor) -> float:
    """PSNR over the whole set as one image (peak 2, the [-1, 1] range), not a mean per slice."""
    from zoo_core.plugin_api import psnr

    side = real.shape[-1]
    return float(psnr(images.reshape(1, 1, -1, side), real.reshape(1, 1, -1, side), 2.0)[0])


def texture_figures(
    real: torch.Tensor, candidates: dict[str, torch.Tensor]
) -> dict[str, dict[str, float]]:
    """Gram distance, detail energy and PSNR of each named candidate set against ``real``."""
    from zoo_core.plugin_api import high_frequency_ratio

    grams = gram_distances(real, list(candidates.values()))
    return {
        name: {
            "gram_distance": gram,
            "detail_energy": high_frequency_ratio(images, real),
            "psnr": set_psnr(images, real),
        }
        for (name, images), gram in zip(candidates.items(), grams, strict=True)
    }


def texture_report(
    model: Any, real: str | Path, *, seed: int = 0, device: str = "cpu"
) -> dict[str, Any]:
    """The texture figures for the blurred input and the rendering; FID/KID on a split."""
    from zoo_core.plugin_api import held_out_distribution, split_folder, split_parts, to_unit

    folder = Path(real)
    split = split_folder(folder)
    test = real_slices(model, split_parts(folder)["test"] if split else folder)
    content, rendered = render(model, test)
    metrics: dict[str, Any] = {
        "model_id": model.model_id,
        "weights": getattr(model, "weights_info", None),
        "data": str(folder),
        "slices": len(test),
        "content_blur": model.blur,
        **texture_figures(test, {"input": content, "model": rendered}),
    }
    if split:
        train = to_unit(real_slices(model, split_parts(folder)["train"]), model.value_range)
        unit = [to_unit(x, model.value_range) for x in (rendered, content, test)]
        metrics["distribution"] = {
            "model": held_out_distribution(unit[0], train, unit[2], device=device),
            "input": held_out_distribution(unit[1], train, unit[2], device=device),
        }
    return {"markdown": markdown(metrics), "metrics": metrics}


def markdown(m: dict[str, Any]) -> str:
    rows = [
        f"**{m['model_id']} on {m['data']}: {m['slices']} real slices, each blurred "
        f"(sigma {m['content_blur']:g} px) and rendered**",
        "",
        "| figure | blurred input | MGAN | real slices |",
        "|---|---:|---:|---:|",
        f"| Gram distance to the real slice (Inception-v3) | {m['input']['gram_distance']:.3f} "
        f"| {m['model']['gram_distance']:.3f} | 0 |",
        f"| detail energy / the real slice's | {m['input']['detail_energy']:.3f} "
        f"| {m['model']['detail_energy']:.3f} | 1 |",
        f"| PSNR vs the real slice (dB) | {m['input']['psnr']:.2f} | {m['model']['psnr']:.2f} "
        "| inf |",
    ]
    if "distribution" in m:
        d = m["distribution"]
        rows += [
            "",
            f"Against the {d['model']['n_held_out']} held-out slices, {d['model']['n_generated']} "
            "of each set (the floor: as many real training slices):",
            "",
            "| figure | blurred input | MGAN | floor |",
            "|---|---:|---:|---:|",
            f"| FID | {d['input']['fid']:.1f} ({d['input']['fid_over_floor']:.2f}x) "
            f"| {d['model']['fid']:.1f} ({d['model']['fid_over_floor']:.2f}x) "
            f"| {d['model']['fid_floor']:.1f} |",
            f"| KID | {d['input']['kid']:.4f} ({d['input']['kid_over_floor']:.2f}x) "
            f"| {d['model']['kid']:.4f} ({d['model']['kid_over_floor']:.2f}x) "
            f"| {d['model']['kid_floor']:.4f} |",
        ]
    return "\n".join(rows)


def texture_montage(model: Any, real: str | Path, path: str | Path, *, rows: int = 4) -> Path:
    """A picture of ``rows`` slices spread evenly over the held-out part (or the folder): the
    blurred input, the rendering and the real slice, then the middle of each at twice the
    size, where texture can be seen."""
    from zoo_core.plugin_api import save_montage, split_folder, split_parts

    folder = Path(real)
    if split_folder(folder):
        folder = split_parts(folder)["test"]
    test = real_slices(model, folder)
    picked = test[torch.linspace(0, len(test) - 1, min(rows, len(test))).round().long()]
    content, rendered = render(model, picked)
    side = picked.shape[-1]
    lo, hi = side // 4, side // 4 + side // 2

    def zoom(x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.interpolate(x[..., lo:hi, lo:hi], size=(side, side))

    tiles, labels = [], []
    for i in range(len(picked)):
        row = [content[i : i + 1], rendered[i : i + 1], picked[i : i + 1]]
        tiles += row + [zoom(x) for x in row]
        labels += ["blurred input", "MGAN (synthetic)", "real slice"]
        labels += ["input, middle x2", "MGAN, middle x2", "real, middle x2"]
    return save_montage(torch.cat(tiles), path, value_range=(-1, 1), nrow=6, labels=labels)
