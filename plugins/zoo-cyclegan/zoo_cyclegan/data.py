"""Unpaired 2D slices from ``domain_a/`` and ``domain_b/`` volumes, and the MR/CT demo data.

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


def prepare_mr_ct(out_dir: str | Path) -> Path:
    """Write the demo data: MNI152 T1 (nilearn) in ``domain_a/``, the head CT atlas of
    TotalSegmentator (1 mm, HU) in ``domain_b/``. Both ship inside their wheels."""
    from zoo_core.plugin_api import copy_shipped

    return copy_shipped(
        out_dir, {f"domain_a/{MR_NAME}": "mni152_t1", f"domain_b/{CT_NAME}": "head_ct"}
    )


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
            "of unpaired volumes (see zoo_cyclegan.data.prepare_mr_ct)."
        )
    out: list[torch.Tensor] = []
    for path in paths:
        out += volume_slices(data_cfg, path, intensity=intensity)[1]
    return out


class UnpairedSlices(torch.utils.data.Dataset):
    """Items ``{"source": A slice, "target": B slice}`` over all (A, B) combinations."""

    def __init__(self, data_cfg: Any, path: str | Path) -> None:
        root = Path(path)
        self.a = domain_slices(data_cfg, root / "domain_a", data_cfg.intensity)
        self.b = domain_slices(data_cfg, root / "domain_b", data_cfg.intensity_b)

    def __len__(self) -> int:
        return len(self.a) * len(self.b)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"source": self.a[index // len(self.b)], "target": self.b[index % len(self.b)]}


def unpaired_slices(data_cfg: Any, path: str | Path) -> UnpairedSlices:
    """The ``ArchSpec.dataset`` of ``cyclegan``."""
    return UnpairedSlices(data_cfg, path)
