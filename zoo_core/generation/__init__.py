"""Making synthetic images with a zoo model: in batches, as a Dataset, or volume by volume.

``zoo.generate`` draws samples reproducibly (sample ``i`` depends only on ``seed`` and ``i``),
:class:`SyntheticDataset` streams them into another model's DataLoader, and
:func:`infer_volume` runs block/patch models over whole volumes with bounded memory,
:func:`infer_slices` runs 2D models over volumes slice by slice, and :func:`output_intensity`
says in which physical units a model's outputs are written. :class:`SampleWriter` writes
samples to files (marked synthetic, with provenance) and :func:`generate_to_files` is all of
``zoo generate`` below its options. Architectures add their own
``zoo generate`` options through :mod:`zoo_core.generation.arch_options` and report long work
inside a call through :mod:`zoo_core.generation.progress`.

The names below are imported on first use: :mod:`zoo_core.generation.arch_options` (which
``zoo generate`` reads while parsing its arguments) lives in this package, and importing
torch for it would make ``zoo generate --help`` take seconds instead of a tenth.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "GeneratedFiles": "to_files",
    "Montage": "panels",
    "OutputGroup": "writer",
    "SampleWriter": "writer",
    "SyntheticDataset": "dataset",
    "class_choices": "conditions",
    "generate_to_files": "to_files",
    "output_groups": "writer",
    "output_intensity": "output_units",
    "output_modality": "output_units",
    "block_size_of": "draw",
    "conditions_used": "draw",
    "derive_seed": "draw",
    "generate": "draw",
    "resolve_model": "draw",
    "spatial_dims_of": "draw",
    "infer_slices": "slicewise",
    "size_multiple_of": "slicewise",
    "infer_volume": "volume",
    "output_affine": "volume",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'zoo_core.generation' has no attribute {name!r}")
    value = getattr(import_module(f"zoo_core.generation.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value
