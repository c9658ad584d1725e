"""Voxel-to-world geometry of super-resolved volumes (numpy only).

Low-resolution voxel ``i`` covers the high-resolution voxels ``s*i .. s*i + s - 1`` (the
convention of the generator's tile replication and of :mod:`zoo_srgan3d.degrade`), so
high-resolution voxel ``j`` sits at low-resolution voxel coordinate ``(j - (s - 1) / 2) / s``:
the spacing is divided by ``s`` and the origin moves half a new voxel towards the corner, so
the output covers exactly the same field of view as the input.
"""

from __future__ import annotations

import numpy as np


def upsampled_affine(affine: np.ndarray, scale: int | float) -> np.ndarray:
    """The affine of a volume up-sampled ``scale`` times per axis from one with ``affine``."""
    affine = np.asarray(affine, dtype=np.float64)
    if affine.shape != (4, 4):
        raise ValueError(f"an affine is a 4x4 matrix, got shape {affine.shape}")
    voxel_map = np.eye(4)
    voxel_map[:3, :3] /= scale
    voxel_map[:3, 3] = -(scale - 1) / (2.0 * scale)
    return affine @ voxel_map
