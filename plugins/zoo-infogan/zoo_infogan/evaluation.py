"""``zoo evaluate chen-infogan-mni152 --real SPLIT``: held-out figures and code agreement.

InfoGAN's claim is that its categorical code finds the data's classes without labels (the
paper: 5 % error on MNIST digits after matching codes to digits). On brain slices the
classes are the anatomical levels of the core's :class:`~zoo_core.plugin_api.LevelSlices`,
as many as the code has values. The samples for each code value are sorted by a classifier
fitted on the labelled real training slices, and the codes are matched one-to-one to levels
(:func:`~zoo_core.plugin_api.code_agreement`). Beside it stand the unconditional held-out
FID/KID with their floor and the memorisation check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

#: Samples drawn for each value of the categorical code.
SAMPLES_PER_CODE = 64


def code_split_report(
    model: Any, real: str | Path, *, seed: int = 0, device: str | None = "cpu"
) -> dict[str, Any]:
    """The held-out report of an InfoGAN on a folder with ``train/`` and ``test/`` parts."""
    from zoo_core.plugin_api import (
        LevelSlices,
        code_agreement,
        held_out_report,
        labelled_images,
        split_parts,
    )

    report = held_out_report(model, real, seed=seed, device=device or "cpu")
    levels = model.categories
    value_range = tuple(model.value_range)
    train = LevelSlices(model.config.data, split_parts(real)["train"], levels)
    codes = torch.arange(levels).repeat_interleave(SAMPLES_PER_CODE)
    continuous = torch.rand(
        len(codes), model.continuous, generator=torch.Generator().manual_seed(seed)
    )
    fake = model.generate_codes(codes, continuous * 2 - 1, seed=seed).float().cpu()
    low, high = value_range
    report["code_agreement"] = code_agreement(
        (fake - low) / (high - low), codes, labelled_images(train, value_range), levels
    )
    return {"markdown": markdown(report), "metrics": report}


def markdown(report: dict[str, Any]) -> str:
    """The held-out table, then each code value's samples by the level they were put in."""
    from zoo_core.plugin_api import held_out_markdown

    c = report["code_agreement"]
    levels = len(c["counts"][0])
    lines = [
        held_out_markdown(report),
        "",
        "| code | " + " | ".join(f"level {k}" for k in range(levels)) + " | matched to |",
        "|---|" + "---:|" * (levels + 1),
        *(
            f"| {code} | "
            + " | ".join(str(n) for n in row)
            + f" | level {c['assignment'][str(code)]} |"
            for code, row in enumerate(c["counts"])
        ),
        "",
        f"Samples whose level is their code's matched level: **{c['accuracy']:.1%}** "
        f"({c['n_generated']} samples, codes matched to levels one-to-one). Classifier: "
        f"{c['classifier']}; on real training slices it was not fitted on (interleaved blocks "
        f"of 4 slices): {c['classifier_accuracy_unseen_real']:.1%}.",
    ]
    return "\n".join(lines)
