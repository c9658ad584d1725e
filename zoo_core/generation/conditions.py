"""What a conditional model is conditioned on, read from what users have: files and names.

Image conditions come as files (NIfTI, PNG), DICOM series folders or folders of them, and
are normalised as in training; label maps are read without scaling (their values are class
indices); class-conditional models take classes by the names their card gives them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from zoo_core.errors import ZooError


def condition_paths(path: Path) -> list[Path]:
    """One condition (file or DICOM series folder) or a folder of them."""
    from zoo_core.data.readers import image_format, list_images

    if path.is_file():
        return [path]
    if any(f.is_file() and image_format(f) == "dicom" for f in path.iterdir()):
        return [path]
    return list_images(path)


def is_medical(path: Path) -> bool:
    """NIfTI files and DICOM series: outputs of such conditions keep their geometry."""
    from zoo_core.data.readers import image_format

    return image_format(path) in ("nifti", "dicom")


@contextmanager
def naming(path: Path) -> Iterator[None]:
    """Prefix a ZooError about one condition with its file, unless the message names it."""
    try:
        yield
    except ZooError as exc:
        if path.name in str(exc):
            raise
        raise ZooError(f"{path}: {exc}") from exc


def read_labels(array: Any, model: Any) -> Any:
    """A label-map condition as read: no intensity scaling, one channel for an RGB drawing of
    a gray map, nearest-neighbour resized to the model's ``data.spatial_size``."""
    import numpy as np
    import torch

    from zoo_core.data import fit_to_size

    if (
        array.shape[0] in (3, 4)
        and np.array_equal(array[0], array[1])
        and np.array_equal(array[0], array[2])
    ):
        array = array[:1]
    data = getattr(model.config, "data", None) if model.config is not None else None
    size = [int(v) for v in (getattr(data, "spatial_size", None) or [])]
    x = torch.from_numpy(np.ascontiguousarray(array))
    if size and len(size) == x.ndim - 1 and list(x.shape[1:]) != size:
        mode = str(getattr(data, "size_mode", "resize") or "resize")
        x = fit_to_size(x, size, mode, label=True, pad_value=0.0)
    return x


def class_choices(model: Any, requested: Sequence[str]) -> list[tuple[int, str]]:
    """(index, name) of the classes asked for by name or index: every class by default.

    Names are those of the card's first input's ``label_maps`` (``{"0": "grey-matter-rich",
    ...}``); a model whose card names none is addressed by index.
    """
    inputs = (model.card.zoo.get("inputs") if model.card is not None else None) or [{}]
    names = {int(k): str(v) for k, v in (inputs[0].get("label_maps") or {}).items()}
    count = int(getattr(model, "num_classes", 0) or len(names))
    if count < 1:
        raise ZooError("the model declares no classes (num_classes, or label_maps in its card).")
    table = [(i, names.get(i, str(i))) for i in range(count)]
    if not requested:
        return table
    by_name = {name: (i, name) for i, name in table} | {str(i): (i, n) for i, n in table}
    unknown = [r for r in requested if r not in by_name]
    if unknown:
        known = ", ".join(f"{i} ({n})" if n != str(i) else n for i, n in table)
        raise ZooError(f"unknown class {unknown[0]!r}; this model's classes: {known}.")
    return [by_name[r] for r in requested]
