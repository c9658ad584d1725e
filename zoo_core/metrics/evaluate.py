"""``zoo.evaluate``: every metric of a model or of two image sets, as JSON and Markdown.

Paired tasks (a generated image per real one: denoising, super-resolution, autoencoding)
get PSNR, SSIM and MS-SSIM; unconditional generation gets FID and KID (2D), MS-SSIM
diversity and the memorisation check. All metrics are computed on images scaled to [0, 1]
(see :mod:`zoo_core.metrics.sets`), so ``data_range`` is 1 and PSNR equals PSNR in the
model's own range.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from zoo_core.errors import DataError, ZooError
from zoo_core.io.common import output_spec
from zoo_core.metrics.sets import ImageSet, from_unit, read_set, tensor_set, training_set

if TYPE_CHECKING:
    from zoo_core.interfaces.model import GANModel

PAIRED = ("psnr", "ssim", "ms_ssim")
UNPAIRED = ("fid", "kid", "diversity", "memorisation")
METRICS = PAIRED + UNPAIRED
#: Label, better direction and unit of each number in the Markdown table.
LABELS = {
    "psnr": ("PSNR (dB)", "↑"),
    "psnr_region": ("PSNR in region (dB)", "↑"),
    "ssim": ("SSIM", "↑"),
    "ssim_region": ("SSIM in region", "↑"),
    "ms_ssim": ("MS-SSIM", "↑"),
    "fid": ("FID", "↓"),
    "kid": ("KID", "↓"),
    "diversity_ms_ssim": ("MS-SSIM among generated (diversity)", "↓"),
    "memorisation_nn_min": ("Nearest training image, min RMS distance", "↑"),
    "memorisation_nn_mean": ("Nearest training image, mean RMS distance", "↑"),
    "memorisation_ratio": ("Min distance / real-to-real median", "↑"),
}


def _model_units(model: GANModel | None) -> tuple[Any, tuple[float, float]]:
    if model is None:
        return None, (-1.0, 1.0)
    transform = None
    data_cfg = getattr(getattr(model, "config", None), "data", None)
    if data_cfg is not None:
        from zoo_core.data.intensity import intensity_transform

        transform = intensity_transform(data_cfg)
    return transform, tuple(float(v) for v in model.value_range)


def _as_set(
    source: Any, role: str, model: GANModel | None, value_range: tuple[float, float] | None
) -> ImageSet:
    if isinstance(source, ImageSet):
        return source
    if isinstance(source, torch.Tensor):
        rng = value_range or (tuple(model.value_range) if model is not None else (0.0, 1.0))
        return tensor_set(source, rng, role)
    transform, model_range = _model_units(model)
    try:
        image_set = read_set(
            source,
            transform=transform,
            model_range=model_range,
            pictures_are_outputs=role == "generated",
            value_range=value_range,
            channel_names=output_spec(model)[1] if model is not None and model.card else None,
        )
    except DataError:
        if role != "real" or model is None or model.card is None:
            raise
        return training_set(model, source)  # e.g. a folder in the architecture's own layout
    trained_on_other_dims = (
        role == "real"
        and model is not None
        and model.card is not None
        and image_set.dims != model.card.zoo.get("dims", image_set.dims)
    )
    if trained_on_other_dims:
        return training_set(model, source)  # e.g. volumes for a model of their slices
    return image_set


def _generate_set(
    model: GANModel, count: int, real: ImageSet | None, seed: int, batch_size: int
) -> tuple[ImageSet, bool]:
    """Generate ``count`` samples; conditional models get conditions made from real targets."""
    from zoo_core.generation import derive_seed, generate

    low_high = tuple(float(v) for v in model.value_range)
    if not model.conditional:
        out = generate(model, n=count, seed=seed, batch_size=batch_size, progress=True)
        return tensor_set(out, low_high, "generated"), False
    if model.condition_kind == "class":  # every class in turn: a set to compare as a whole
        classes = torch.arange(count) % int(model.num_classes)
        out = generate(model, condition=classes, seed=seed, batch_size=batch_size, progress=True)
        return tensor_set(out, low_high, "generated"), False
    if real is None or len(real.images) == 0:
        raise ZooError("a conditional model needs real images to make its conditions from.")
    if count > len(real.images):
        raise ZooError(
            f"--generate {count} but only {len(real.images)} real images to condition on."
        )
    outs = []
    for i in range(count):
        target = from_unit(real.images[i : i + 1], low_high)
        rng = torch.Generator(device=model.device).manual_seed(derive_seed(seed, 10**9 + i))
        batch = model.prepare_batch({"target": target}, rng)
        if "condition" not in batch:
            raise ZooError(
                f"{model.model_id}: its condition cannot be made from a real image (prepare_batch "
                "gave none); generate from your conditions with `zoo generate --condition` and "
                "pass the results with --fake."
            )
        outs.append(generate(model, condition=batch["condition"].cpu(), seed=derive_seed(seed, i)))
    fake = tensor_set(torch.cat(outs), low_high, "generated")
    fake.names = real.names[:count]
    return fake, True


def _mean_std(values: torch.Tensor | list[float]) -> tuple[float, float]:
    t = torch.as_tensor(values, dtype=torch.float64)
    finite = t[torch.isfinite(t)]
    if len(finite) == 0:
        return math.inf, 0.0
    return float(finite.mean()), float(finite.std()) if len(finite) > 1 else 0.0


def evaluate(
    model_or_id: GANModel | str | None = None,
    real: Any = None,
    fake: Any = None,
    generate: int | None = None,
    metrics: list[str] | None = None,
    *,
    value_range: tuple[float, float] | None = None,
    paired: bool | None = None,
    mask: Any = None,
    out_dir: str | Path | None = None,
    seed: int = 0,
    batch_size: int = 8,
    device: str | None = None,
    extractor: str = "inception-fid",
    top_k: int = 8,
    **load_kwargs: Any,
) -> dict[str, Any]:
    """Evaluate generated images against real ones; returns a JSON-able dict.

    ``real``/``fake``: a path (file, DICOM series or folder) or a tensor (N, C, *spatial) in
    ``value_range`` (default: the model's). ``generate=N`` draws the fake set from the model
    instead (conditional models condition on the first N real images, as in training).
    ``metrics`` picks from psnr, ssim, ms_ssim, fid, kid, diversity, memorisation; by default
    the paired ones for paired sets and the others for unpaired. ``mask`` (path or tensor,
    3D scans) adds PSNR/SSIM inside a region. With ``out_dir``: metrics.json, metrics.md and
    memorisation.png are written there.
    """
    from zoo_core.generation import resolve_model

    if real is None:
        raise ZooError("pass the real images: real=<path or tensor> (`--real PATH`).")
    if (fake is None) == (generate is None):
        raise ZooError("pass exactly one of fake=<path or tensor> and generate=<count>.")
    model = None
    if model_or_id is not None:
        model = resolve_model(model_or_id, device, **load_kwargs)
    elif generate is not None:
        raise ZooError("generate=N needs a model.")
    unknown = sorted(set(metrics or []) - set(METRICS))
    if unknown:
        raise ZooError(f"unknown metric(s) {', '.join(unknown)}; choose from {', '.join(METRICS)}.")

    real_set = _as_set(real, "real", model, value_range)
    if generate is not None:
        fake_set, generated_paired = _generate_set(model, int(generate), real_set, seed, batch_size)
    else:
        fake_set = _as_set(fake, "generated", model, value_range)
        generated_paired = False
    if paired is None:
        paired = (
            generated_paired
            or bool(metrics and set(metrics) & set(PAIRED))
            or (
                sorted(fake_set.names) == sorted(real_set.names)
                and not isinstance(fake, torch.Tensor)
            )
        )
    dims = fake_set.dims
    if metrics is None:
        metrics = list(PAIRED if paired else UNPAIRED)
        if dims == 3:
            metrics = [m for m in metrics if m not in ("fid", "kid")]
    result: dict[str, Any] = {
        "model_id": getattr(model, "model_id", None),
        "weights": getattr(model, "weights_info", None) if model is not None else None,
        "n_real": len(real_set.images),
        "n_generated": len(fake_set.images),
        "dims": dims,
        "paired": bool(paired),
        "generated_by": "model" if generate is not None else "files",
        "seed": seed if generate is not None else None,
        "metrics": {},
        "notes": list(real_set.notes + fake_set.notes),
    }
    m = result["metrics"]
    if paired and set(metrics) & set(PAIRED):
        _paired_metrics(real_set, fake_set, metrics, mask, result)
    if {"fid", "kid"} & set(metrics):
        if dims != 2:
            raise ZooError("FID and KID are defined for 2D images; this set is 3D.")
        from zoo_core.metrics.distribution import frechet_distance, kernel_inception_distance
        from zoo_core.metrics.features import extract_features

        kw = {"batch_size": 32, "device": device or "cpu"}
        f_real = extract_features(real_set.images, extractor, **kw)
        f_fake = extract_features(fake_set.images, extractor, **kw)
        result["extractor"] = extractor
        if "fid" in metrics:
            m["fid"] = frechet_distance(f_real, f_fake)
        if "kid" in metrics:
            m["kid"], m["kid_std"] = kernel_inception_distance(f_real, f_fake)
        if min(len(f_real), len(f_fake)) < 2048:
            result["notes"].append(
                "FID from fewer than 2048 images per set is biased upwards; compare only "
                "numbers computed with the same set sizes."
            )
    if "diversity" in metrics:
        from zoo_core.metrics.diversity import ms_ssim_diversity

        m["diversity_ms_ssim"] = ms_ssim_diversity(fake_set.images, data_range=1.0, seed=seed)
        if len(real_set.images) >= 2:
            m["diversity_ms_ssim_real"] = ms_ssim_diversity(real_set.images, 1.0, seed=seed)
    if "memorisation" in metrics:
        from zoo_core.metrics.memorisation import memorisation

        png = Path(out_dir) / "memorisation.png" if out_dir is not None else None
        if png is not None:
            png.parent.mkdir(parents=True, exist_ok=True)
        mem = memorisation(fake_set.images, real_set.images, top_k=top_k, png=png)
        m["memorisation_nn_min"] = mem["nn_distance_min"]
        m["memorisation_nn_mean"] = mem["nn_distance_mean"]
        if "nn_ratio_min" in mem:
            m["memorisation_ratio"] = mem["nn_ratio_min"]
        mem["closest"] = [
            {**c, "fake_name": fake_set.names[c["fake"]], "real_name": real_set.names[c["real"]]}
            for c in mem["closest"]
        ]
        skip = ("nn_index", "nn_distance")
        result["memorisation"] = {k: v for k, v in mem.items() if k not in skip}
    if out_dir is not None:
        write_report(result, out_dir)
    return result


def _paired_metrics(
    real: ImageSet, fake: ImageSet, metrics: list[str], mask: Any, result: dict[str, Any]
) -> None:
    from zoo_core.metrics.image import ms_ssim, ms_ssim_levels, per_scan, psnr, ssim

    if len(real.images) != len(fake.images) or real.images.shape != fake.images.shape:
        raise ZooError(
            f"paired metrics need one generated image per real one of the same shape: "
            f"{tuple(fake.images.shape)} generated vs {tuple(real.images.shape)} real."
        )
    if sorted(real.names) == sorted(fake.names) and real.names != fake.names:
        order = [fake.names.index(n) for n in real.names]  # pair by file name
        fake = ImageSet(fake.images[order], [fake.names[i] for i in order])
    m, per_item = result["metrics"], [{"name": n} for n in real.names]
    if real.dims == 3:
        # The 3D cGAN paper's tables: per scan, 2D metrics averaged over the axial slices.
        masks = _masks(mask, len(real.images))
        for i, item in enumerate(per_item):
            item.update(per_scan(fake.images[i], real.images[i], 1.0, masks[i]))
        for key in ("psnr", "ssim", "psnr_region", "ssim_region"):
            if key in per_item[0] and (key.split("_")[0] in metrics):
                m[key], m[f"{key}_std"] = _mean_std([it[key] for it in per_item])
        result["notes"].append(
            "3D PSNR/SSIM: per scan, averaged over axial slices, then over scans."
        )
    else:
        if "psnr" in metrics:
            values = psnr(fake.images, real.images, 1.0)
            for item, v in zip(per_item, values.tolist(), strict=True):
                item["psnr"] = v
            m["psnr"], m["psnr_std"] = _mean_std(values)
        if "ssim" in metrics:
            values = ssim(fake.images, real.images, 1.0)
            for item, v in zip(per_item, values.tolist(), strict=True):
                item["ssim"] = v
            m["ssim"], m["ssim_std"] = _mean_std(values)
    if "ms_ssim" in metrics:
        levels = ms_ssim_levels(real.images.shape[2:])
        values = ms_ssim(fake.images, real.images, 1.0, levels=levels)
        for item, v in zip(per_item, values.tolist(), strict=True):
            item["ms_ssim"] = v
        m["ms_ssim"], m["ms_ssim_std"] = _mean_std(values)
        if levels < 5:
            result["notes"].append(f"MS-SSIM with {levels} scales (images too small for 5).")
    result["per_item"] = per_item


def _masks(mask: Any, count: int) -> list[torch.Tensor | None]:
    if mask is None:
        return [None] * count
    if not isinstance(mask, torch.Tensor):
        from zoo_core.data.readers import read_image

        array, _ = read_image(mask)
        mask = torch.from_numpy(array)
    mask = torch.as_tensor(mask)
    if mask.ndim == 5:
        return list(mask)
    return [mask] * count


def _fmt(value: float) -> str:
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    return f"{value:.4g}"


def markdown_table(result: dict[str, Any]) -> str:
    """A Markdown table of the headline numbers, ready for a model card's Evaluation section."""
    m = result["metrics"]
    what = "paired" if result["paired"] else "unpaired"
    lines = [
        f"Evaluation of `{result.get('model_id') or 'generated images'}`: "
        f"{result['n_generated']} generated vs {result['n_real']} real {result['dims']}D images "
        f"({what}).",
        "",
        "| Metric | Value |",
        "|---|---|",
    ]
    for key, (label, better) in LABELS.items():
        if key not in m:
            continue
        value = _fmt(m[key])
        if f"{key}_std" in m:
            value += f" ± {_fmt(m[key + '_std'])}"
        lines.append(f"| {label} {better} | {value} |")
    if "diversity_ms_ssim_real" in m:
        lines.append(f"| MS-SSIM among real (reference) | {_fmt(m['diversity_ms_ssim_real'])} |")
    notes = result.get("notes") or []
    if notes:
        lines += ["", *(f"- {n}" for n in notes)]
    return "\n".join(lines) + "\n"


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "inf" if value > 0 else ("-inf" if value < 0 else "nan")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def to_json(result: dict[str, Any]) -> str:
    """Strict JSON (infinite PSNR of identical images is written as the string "inf")."""
    return json.dumps(_jsonable(result), indent=2, allow_nan=False, default=str)


def write_report(
    result: dict[str, Any], out_dir: str | Path, markdown: str | None = None
) -> tuple[Path, Path]:
    """metrics.json and metrics.md (``markdown``, default the result's table) in ``out_dir``."""
    from zoo_core.weights import atomic_path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / "metrics.json", out / "metrics.md")
    texts = (to_json(result), markdown if markdown is not None else markdown_table(result))
    for path, text in zip(paths, texts, strict=True):
        with atomic_path(path) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
    return paths
