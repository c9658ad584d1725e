"""Unpaired 2D slices from ``domain_a/`` and ``domain_b/`` volumes, and the MR/CT demo data.

Reading, intensity scaling, slicing and fitting to size are :mod:`zoo_core.data`'s. Domain A
is scaled by ``data.intensity`` and domain B by ``data.intensity_b`` (MR percentiles vs a CT
HU window: one shared setting would be wrong for one of them). Item ``i`` pairs slice
``i // len(B)`` of A with slice ``i % len(B)`` of B, so the trainer's seeded shuffle of the
indices draws random unpaired pairs reproducibly, without a random generator of our own.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch

MR_NAME = "mni152_t1.nii.gz"
CT_NAME = "ct_head.nii.gz"


def prepare_mr_ct(out_dir: str | Path) -> Path:
    """Write the demo data: MNI152 T1 (nilearn) in ``domain_a/``, the head CT atlas of
    TotalSegmentator (1 mm, HU) in ``domain_b/``. Both ship inside their wheels."""
    import shutil

    import nilearn.datasets

    from zoo_core.errors import DataError

    mr = Path(nilearn.datasets.__file__).parent / "data"
    mr = mr / "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
    try:
        import totalsegmentator
    except ImportError:
        raise DataError(
            "the head CT comes from the totalsegmentator wheel: "
            "pip install --no-deps totalsegmentator"
        ) from None
    ct = Path(totalsegmentator.__file__).parent / "resources" / "ct_brain_atlas_1mm.nii.gz"
    for path in (mr, ct):
        if not path.is_file():
            raise DataError(f"{path} is missing from its package; cannot prepare MR/CT data.")
    out = Path(out_dir)
    (out / "domain_a").mkdir(parents=True, exist_ok=True)
    (out / "domain_b").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mr, out / "domain_a" / MR_NAME)
    shutil.copyfile(ct, out / "domain_b" / CT_NAME)
    return out


def domain_slices(data_cfg: Any, folder: Path, intensity: str) -> list[torch.Tensor]:
    """Every non-empty slice of every volume in ``folder``, scaled and fitted to size."""
    from zoo_core.data.intensity import intensity_transform
    from zoo_core.data.readers import list_images, read_image
    from zoo_core.data.sampling import fit_to_size, slice_indices, take_slice
    from zoo_core.errors import DataError

    cfg = copy.deepcopy(data_cfg)
    cfg.intensity = intensity
    transform = intensity_transform(cfg)
    paths = list_images(folder) if folder.is_dir() else []
    if not paths:
        raise DataError(
            f"{folder} holds no images: CycleGAN data is two folders domain_a/ and domain_b/ "
            "of unpaired volumes (see zoo_cyclegan.data.prepare_mr_ct)."
        )
    axis, size = int(data_cfg.slice_axis), data_cfg.spatial_size
    out: list[torch.Tensor] = []
    for path in paths:
        array = read_image(path)[0]
        volume = torch.as_tensor(transform.fit(array).forward(array)).float()
        for i in slice_indices(volume, axis, data_cfg.skip_empty, data_cfg.min_foreground):
            out.append(fit_to_size(take_slice(volume, axis, i), size, data_cfg.size_mode))
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
