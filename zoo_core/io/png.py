"""PNG output: 8- or 16-bit pictures whose text chunks say they are synthetic.

``Synthetic=true``, ``Software`` and ``Description`` are tEXt chunks (Latin-1, what every
viewer shows); the provenance JSON is an iTXt chunk (UTF-8, may hold any file name).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zoo_core.errors import DataError
from zoo_core.io.common import (
    SYNTHETIC_NOTE,
    channel_groups,
    provenance_json,
    safe_suffix,
    software,
    to_numpy,
    to_unit,
)
from zoo_core.weights import atomic_path


def png_info(provenance: dict[str, Any] | None = None):
    """The PNG text chunks that mark a file as synthetic and carry its provenance."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Synthetic", "true")
    info.add_text("Software", software())
    info.add_text("Description", SYNTHETIC_NOTE)
    info.add_itxt("Provenance", provenance_json(provenance))
    return info


def save_png(image, path: Path, provenance: dict[str, Any] | None = None) -> Path:
    """Write a PIL image atomically with the synthetic text chunks."""
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG", pnginfo=png_info(provenance))
    return path


def to_pil(unit: np.ndarray, bits: int = 8):
    """``(H, W)`` or ``(3, H, W)`` values in [0, 1] -> a PIL image of ``bits`` per sample."""
    from PIL import Image

    if bits not in (8, 16):
        raise DataError(f"PNG bit depth must be 8 or 16, not {bits}.")
    top = 2**bits - 1
    ints = np.rint(unit * top)
    if unit.ndim == 3:
        if bits == 16:
            raise DataError(
                "16-bit RGB PNG is not supported by Pillow; write with bits=8 or as NIfTI."
            )
        return Image.fromarray(np.moveaxis(ints, 0, -1).astype(np.uint8), mode="RGB")
    if bits == 16:
        return Image.fromarray(ints.astype(np.uint16))  # mode I;16
    return Image.fromarray(ints.astype(np.uint8), mode="L")


def write_png(
    array: Any,
    stem: Path,
    *,
    value_range: Sequence[float],
    channel_names: Sequence[str] | None = None,
    bits: int = 8,
    provenance: dict[str, Any] | None = None,
) -> list[Path]:
    """``(C, H, W)`` -> ``stem.png`` (RGB or one channel) or ``stem_<channel>.png`` per group."""
    data = to_numpy(array)
    if data.ndim != 3:
        raise DataError(
            f"PNG holds 2D images, but the sample has shape {tuple(data.shape)} (C, *spatial); "
            "write 3D samples with --format nifti or dicom."
        )
    unit = to_unit(data, value_range)
    written = []
    for name, idx in channel_groups(data.shape[0], channel_names):
        pixels = unit[idx] if len(idx) == 3 else unit[idx[0]]
        path = stem.with_name(stem.name + (f"_{safe_suffix(name)}" if name else "") + ".png")
        written.append(save_png(to_pil(pixels, bits), path, provenance))
    return written
