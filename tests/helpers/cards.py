"""Minimal valid model cards for fake plugins."""

from __future__ import annotations

from typing import Any

import yaml


def card_metadata(
    model_id: str,
    architecture: str,
    *,
    modality: str = "MR",
    task: str = "unconditional-generation",
    dims: int = 2,
    weights: dict[str, Any] | None = None,
) -> dict[str, Any]:
    size = [16] * dims
    return {
        "license": "Apache-2.0",
        "library_name": "zoo-core",
        "tags": ["gan", "test"],
        "zoo": {
            "id": model_id,
            "architecture": architecture,
            "paper": {
                "title": "A toy paper",
                "authors": "Doe, Roe",
                "year": 2020,
                "url": "https://example.org/toy",
                "citation": "Doe J, Roe R. Toy. 2020.",
            },
            "modality": modality,
            "task": task,
            "dims": dims,
            "resolution": size,
            "outputs": [
                {
                    "name": "image",
                    "channels": ["intensity"],
                    "spatial_size": size,
                    "value_range": [-1.0, 1.0],
                    "layout": "NCHW" if dims == 2 else "NCDHW",
                }
            ],
            "intended_use": "Tests only.",
            "limitations": "None that matter here.",
            "training_data": {"description": "None.", "license": "CC0-1.0"},
            "weights": weights,
        },
    }


def card_text(model_id: str, architecture: str, **kwargs: Any) -> str:
    metadata = card_metadata(model_id, architecture, **kwargs)
    front = yaml.safe_dump(metadata, sort_keys=False)
    return f"---\n{front}---\n# {model_id}\n\nA toy model card.\n"
