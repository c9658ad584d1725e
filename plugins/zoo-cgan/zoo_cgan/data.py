"""The conditional GAN's dataset: MNI152 axial slices labelled by anatomical level.

The class of a slice is its position among the volume's non-empty slices along
``data.slice_axis``, cut into ``model.num_classes`` (``data.levels``) equal bins, so
class 0 holds the lowest (skull base) slices and class K-1 the vertex; the labelling is the
core's :class:`zoo_core.plugin_api.LevelSlices`. The MNI152 T1 comes from
:func:`zoo_core.data.shipped.write_mni152`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def level_slices(data_cfg: Any, path: str | Path):
    """The ``ArchSpec.dataset`` of ``cgan``."""
    from zoo_core.plugin_api import LevelSlices

    return LevelSlices(data_cfg, path, int(data_cfg.levels))
