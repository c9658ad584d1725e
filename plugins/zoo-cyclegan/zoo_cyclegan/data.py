"""Unpaired 2D slices from ``domain_a/`` and ``domain_b/`` volumes.

Reading, intensity scaling, slicing and fitting to size are :mod:`zoo_core.data`'s. Domain A
is scaled by ``data.intensity`` and domain B by ``data.intensity_b`` (MR percentiles vs a CT
HU window: one shared setting would be wrong for one of them). Item ``i`` pairs slice
``i // len(B)`` of A with slice ``i % len(B)`` of B, so the trainer's seeded shuffle of the
indices draws random unpaired pairs reproducibly, without a random generator of our own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

MR_NAME = "mni152_t1.nii.gz"
CT_NAME = "ct_head.nii.gz"


def example_data(data_cfg: Any, folder: Path) -> None:
    """``ArchSpec.example_data``: one small synthetic volume per domain, MR-like units in
    ``domain_a/`` and HU in ``domain_b/`` (for the conformance kit)."""
    from zoo_core.testing import phantom, write_volume

    side = [int(s) for s in data_cfg.spatial_size][:2] or [32, 32]
    mr = phantom((*side, 4), seed=0, intensity=data_cfg.intensity)
    ct = phantom((*side, 4), seed=1, intensity=data_cfg.intensity_b, hu_window=data_cfg.hu_window)
    write_volume(mr, Path(folder) / "domain_a" / MR_NAME)
    write_volume(ct, Path(folder) / "domain_b" / CT_NAME)


def domain_slices(data_cfg: Any, folder: Path, intensity: str) -> list[torch.Tensor]:
    """Every non-empty slice of every volume in ``folder``, scaled and fitted to size."""
    from zoo_core.plugin_api import DataError, list_images, volume_slices

    paths = list_images(folder) if folder.is_dir() else []
    if not paths:
        raise DataError(
            f"{folder} holds no images: CycleGAN data is two folders domain_a/ and domain_b/ "
            "of unpaired volumes (`zoo cyclegan prepare-data DIR` writes the zoo's own)."
        )
    out: list[torch.Tensor] = []
    for path in paths:
        out += volume_slices(data_cfg, path, intensity=intensity)[1]
    return out


class UnpairedSlices(torch.utils.data.Dataset):
    """Items ``{"source": A slice, "target": B slice}`` over all (A, B) combinations, each
    slice through ``data.jitter_size`` and ``data.augment`` with a draw of its own."""

    def __init__(self, data_cfg: Any, path: str | Path) -> None:
        from zoo_core.plugin_api import augmentation

        root = Path(path)
        self.a = domain_slices(data_cfg, root / "domain_a", data_cfg.intensity)
        self.b = domain_slices(data_cfg, root / "domain_b", data_cfg.intensity_b)
        self.augment = augmentation(data_cfg, data_cfg.spatial_size)

    def __len__(self) -> int:
        return len(self.a) * len(self.b)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        a = self.augment({"target": self.a[index // len(self.b)]})["target"]
        b = self.augment({"target": self.b[index % len(self.b)]})["target"]
        return {"source": a, "target": b}


def unpaired_slices(data_cfg: Any, path: str | Path) -> UnpairedSlices:
    """The ``ArchSpec.dataset`` of ``cyclegan``."""
    return UnpairedSlices(data_cfg, path)
