"""Measuring generated images: fidelity, distribution distance, diversity, memorisation.

``zoo.evaluate(...)`` runs the lot and returns a dict (JSON plus a Markdown table for model
cards); the single metrics are plain functions on tensors.
"""

from __future__ import annotations

from zoo_core.metrics.distribution import fid, frechet_distance, kernel_inception_distance, kid
from zoo_core.metrics.diversity import ms_ssim_diversity
from zoo_core.metrics.evaluate import METRICS, evaluate, markdown_table, to_json, write_report
from zoo_core.metrics.features import extract_features, get_extractor, inception_fid
from zoo_core.metrics.image import ms_ssim, per_scan, psnr, ssim
from zoo_core.metrics.memorisation import memorisation, nearest_neighbours
from zoo_core.metrics.sets import ImageSet, read_set

__all__ = [
    "METRICS",
    "ImageSet",
    "evaluate",
    "extract_features",
    "fid",
    "frechet_distance",
    "get_extractor",
    "inception_fid",
    "kernel_inception_distance",
    "kid",
    "markdown_table",
    "memorisation",
    "ms_ssim",
    "ms_ssim_diversity",
    "nearest_neighbours",
    "per_scan",
    "psnr",
    "read_set",
    "ssim",
    "to_json",
    "write_report",
]
