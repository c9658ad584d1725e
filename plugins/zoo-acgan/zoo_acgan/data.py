"""Two tissue classes of MNI152 slices: grey-matter-rich (0) or white-matter-rich (1).

The class of an axial slice comes from nilearn's grey/white-matter probability maps of the
same template: its white-matter share WM / (GM + WM) is below (0) or above (1) the median
share of the volume's slices. A median split keeps the classes balanced; a fixed 50 % cut
would put five in six brain slices into the grey class, since cortex dominates most levels. Reading,
normalising, slicing and resizing are :mod:`zoo_core.data`'s; this module only adds labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

T1, GM, WM = "t1.nii.gz", "gm.nii.gz", "wm.nii.gz"
CLASSES = ("grey-matter-rich", "white-matter-rich")


def prepare_mni152_tissues(out_dir: str | Path, held_out: bool = False) -> Path:
    """Copy the MNI152 T1 volume and its GM/WM maps (shipped with nilearn) into ``out_dir``.

    ``held_out`` writes the zoo's one MNI152 split instead (``zoo_core``'s ``mni152_slabs``:
    below and above world z = 0 mm) as ``out_dir/train`` and ``out_dir/test``, each with the
    three volumes: the folder ``zoo evaluate ID --real DIR`` measures the model on. Each part's
    classes are split at its own median white-matter share, so both stay balanced.
    """
    from zoo_core.plugin_api import write_mni152

    names = {"t1": T1, "gm": GM, "wm": WM}
    return write_mni152(out_dir, names, held_out=held_out, file_names=names)


def example_data(data_cfg: Any, folder: Path) -> None:
    """``ArchSpec.example_data``: a small synthetic T1 volume with grey/white-matter maps
    under the names :class:`TissueSlices` reads (for the conformance kit)."""
    from zoo_core.testing import phantom, write_volume

    side = [int(s) for s in data_cfg.spatial_size][:2] or [16, 16]
    t1 = phantom((*side, 8), seed=0, intensity="mr")
    grey = phantom((*side, 8), seed=1)  # in [0.2, 1] inside the head, 0 outside
    write_volume(t1, Path(folder) / T1)
    write_volume(grey, Path(folder) / GM)
    write_volume((grey > 0) * (1.2 - grey), Path(folder) / WM)


def tissue_labels(gm: torch.Tensor, wm: torch.Tensor, axis: int, indices: list[int]) -> list[int]:
    """1 where a slice's white-matter share is above the median of ``indices``' shares, else 0."""
    dims = [d for d in range(gm.ndim) if d != 1 + axis]
    grey, white = gm.sum(dim=dims).double(), wm.sum(dim=dims).double()
    share = torch.stack([white[i] / (grey[i] + white[i]).clamp_min(1e-12) for i in indices])
    median = share.median()
    return [int(s > median) for s in share]


class TissueSlices(torch.utils.data.Dataset):
    """Items ``{"target": (C, H, W) in [-1, 1], "label": int64 class}``, all in memory."""

    def __init__(self, data_cfg: Any, path: str | Path) -> None:
        from zoo_core.plugin_api import DataError, read_image, volume_slices

        folder = Path(path)
        missing = [n for n in (T1, GM, WM) if not (folder / n).is_file()]
        if missing:
            raise DataError(
                f"{folder} lacks {', '.join(missing)}: run "
                f"zoo_acgan.data.prepare_mni152_tissues('{folder}') or put a T1 volume with "
                "its grey/white-matter maps there under these names."
            )
        indices, self.images = volume_slices(data_cfg, folder / T1)
        gm = torch.as_tensor(read_image(folder / GM)[0])
        wm = torch.as_tensor(read_image(folder / WM)[0])
        self.labels = tissue_labels(gm, wm, int(data_cfg.slice_axis), indices)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"target": self.images[index], "label": torch.tensor(self.labels[index])}


def tissue_slices(data_cfg: Any, path: str | Path) -> TissueSlices:
    """The ``ArchSpec.dataset`` of ``acgan``: labelled slices from a prepared folder."""
    return TissueSlices(data_cfg, path)
