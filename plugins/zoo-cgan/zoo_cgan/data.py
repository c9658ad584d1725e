"""MNI152 axial slices labelled by anatomical level: K equal bins from bottom to top.

The class of a slice is its position among the volume's non-empty slices along
``data.slice_axis``, cut into ``model.num_classes`` (``data.levels``) equal bins, so
class 0 holds the lowest (skull base) slices and class K-1 the vertex. Reading, scaling and
slicing are :mod:`zoo_core.data`'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch


def prepare_mni152(out_dir: str | Path) -> Path:
    """Copy nilearn's MNI152 T1 template into ``out_dir``."""
    import shutil

    import nilearn.datasets

    from zoo_core.errors import DataError

    source = Path(nilearn.datasets.__file__).parent / "data"
    source = source / "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
    if not source.is_file():
        raise DataError(f"nilearn does not ship {source.name}; pass --data with your volumes.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, out / "mni152_t1.nii.gz")
    return out


def level_labels(count: int, levels: int) -> list[int]:
    """Bin ``count`` ordered slices into ``levels`` equal groups: ``floor(i * levels / count)``."""
    return [i * levels // count for i in range(count)]


class LevelSlices(torch.utils.data.Dataset):
    def __init__(self, data_cfg: Any, path: str | Path) -> None:
        from zoo_core.data.intensity import intensity_transform
        from zoo_core.data.readers import list_images, read_image
        from zoo_core.data.sampling import fit_to_size, slice_indices, take_slice
        from zoo_core.errors import DataError

        paths = list_images(path) if Path(path).is_dir() else [Path(path)]
        if not paths:
            raise DataError(f"{path} holds no volumes (see zoo_cgan.data.prepare_mni152).")
        axis, size = int(data_cfg.slice_axis), data_cfg.spatial_size
        self.images: list[torch.Tensor] = []
        self.labels: list[int] = []
        for p in paths:
            array = read_image(p)[0]
            volume = torch.as_tensor(intensity_transform(data_cfg).fit(array).forward(array))
            indices = slice_indices(
                volume.float(), axis, data_cfg.skip_empty, data_cfg.min_foreground
            )
            self.labels += level_labels(len(indices), int(data_cfg.levels))
            self.images += [
                fit_to_size(take_slice(volume, axis, i), size, data_cfg.size_mode) for i in indices
            ]

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"target": self.images[index], "label": torch.tensor(self.labels[index])}


def level_slices(data_cfg: Any, path: str | Path) -> LevelSlices:
    """The ``ArchSpec.dataset`` of ``cgan``."""
    return LevelSlices(data_cfg, path)
