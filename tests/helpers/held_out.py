"""What the tests of `zoo evaluate ID --real SPLIT` share: a split of random volumes, a model
folder to evaluate, and a cheap feature network in place of Inception."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import torch


def write_split(root: Path, slices: dict[str, int], side: int, low: float = 0.0) -> Path:
    """``root/<part>/v.nii``: one random ``side x side x slices[part]`` volume per part."""
    rng = np.random.default_rng(0)
    for part, count in slices.items():
        (root / part).mkdir(parents=True)
        volume = rng.uniform(low, 1, size=(side, side, count)).astype(np.float32)
        nib.save(nib.Nifti1Image(volume, np.eye(4)), str(root / part / "v.nii"))
    return root


def save_model_folder(model, folder: Path, model_id: str) -> Path:
    """``folder`` with the model's weights and config, as `zoo evaluate FOLDER` loads it."""
    from zoo_core.plugin_api import config_to_yaml, save_state_dict

    folder.mkdir()
    save_state_dict(model.state_dict(), folder / "model.safetensors", {"model_id": model_id})
    (folder / "config.yaml").write_text(config_to_yaml(model.config))
    return folder


def use_pooled_features(monkeypatch) -> None:
    """4x4 average-pooled pixels instead of Inception: the protocol, not the features, is
    what these tests check."""
    pooled = lambda x: torch.nn.functional.adaptive_avg_pool2d(x, 4).flatten(1)  # noqa: E731
    monkeypatch.setattr("zoo_core.metrics.features.get_extractor", lambda *a, **k: pooled)
