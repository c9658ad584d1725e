"""Making synthetic images with a zoo model: in batches, as a Dataset, or volume by volume.

``zoo.generate`` draws samples reproducibly (sample ``i`` depends only on ``seed`` and ``i``),
:class:`SyntheticDataset` streams them into another model's DataLoader, and
:func:`infer_volume` runs block/patch models over whole volumes with bounded memory,
:func:`infer_slices` runs 2D models over volumes slice by slice, and :func:`output_intensity`
says in which physical units a model's outputs are written. Architectures add their own
``zoo generate`` options through :mod:`zoo_core.generation.options` and report long work
inside a call through :mod:`zoo_core.generation.progress`.
"""

from __future__ import annotations

from zoo_core.generation.dataset import SyntheticDataset
from zoo_core.generation.intensity import output_intensity, output_modality
from zoo_core.generation.sampling import (
    block_size_of,
    conditions_used,
    derive_seed,
    generate,
    resolve_model,
    spatial_dims_of,
)
from zoo_core.generation.slices import infer_slices, size_multiple_of
from zoo_core.generation.volume import infer_volume, output_affine

__all__ = [
    "SyntheticDataset",
    "block_size_of",
    "conditions_used",
    "derive_seed",
    "generate",
    "infer_slices",
    "infer_volume",
    "output_affine",
    "output_intensity",
    "output_modality",
    "resolve_model",
    "size_multiple_of",
    "spatial_dims_of",
]
