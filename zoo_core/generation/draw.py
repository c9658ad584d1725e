"""``zoo.generate``: samples from a model by id or object, reproducible per sample.

Reproducibility is defined per sample, not per batch: with a ``seed``, sample ``i`` is drawn
with its own generator seeded from ``(seed, i)``. A batch-level seed would make sample ``i``
depend on the batch size and on the order a DataLoader asks for items; per-sample seeds make
``generate(n=100, seed=0)`` equal to the first 100 of ``generate(n=1000, seed=0)`` and to
``SyntheticDataset(..., seed=0)[i]`` whatever the batch size or worker count. Without a seed
nothing needs to be reproducible, so samples are drawn ``batch_size`` at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import torch

from zoo_core.errors import ZooError
from zoo_core.seeds import derive_seed

if TYPE_CHECKING:
    from zoo_core.interfaces.model import GANModel


def resolve_model(
    model_or_id: GANModel | str, device: str | torch.device | None = None, **load_kwargs: Any
) -> GANModel:
    """A loaded model: ``zoo.load`` for an id, the object itself (moved to ``device``) else."""
    from zoo_core.interfaces.model import GANModel

    if isinstance(model_or_id, str):
        from zoo_core.api import load

        return load(model_or_id, device=str(device or "cpu"), **load_kwargs)
    if not isinstance(model_or_id, GANModel):
        raise ZooError(
            f"expected a model id or a zoo_core.GANModel, not {type(model_or_id).__name__}."
        )
    if load_kwargs:
        raise ZooError(f"{sorted(load_kwargs)} only apply when loading a model by id.")
    if device is not None:
        model_or_id.to(torch.device(device))
    return model_or_id


def _config_value(model: GANModel, dotted: str) -> Any:
    cfg = getattr(model, "config", None)
    if cfg is None:
        return None
    from omegaconf import OmegaConf

    try:
        return OmegaConf.select(cfg, dotted, default=None)
    except Exception:
        return None


def block_size_of(model: GANModel) -> tuple[int, ...] | None:
    """The block (patch) size a block model works on, if it declares one.

    Looked up as ``model.block_size``, then ``model.block_size`` in its config, then the data
    ``spatial_size`` of configs whose data mode is ``blocks``.
    """
    value = getattr(model, "block_size", None)
    if value is None:
        value = _config_value(model, "model.block_size")
    if value is None and _config_value(model, "data.mode") == "blocks":
        value = _config_value(model, "data.spatial_size")
    if value is None:
        return None
    if isinstance(value, int):
        dims = spatial_dims_of(model) or 3
        return (int(value),) * dims
    size = tuple(int(v) for v in value)
    return size or None


#: Spatial dimensions of what each data mode trains on.
_MODE_DIMS = {"images": 2, "slices": 2, "blocks": 3, "volumes": 3}


def spatial_dims_of(model: GANModel) -> int | None:
    """2 or 3: the model card's ``zoo.dims``, else what the config's ``data.mode`` trains on
    (models built from a config without a card, as in plugin tests), else None."""
    card = getattr(model, "card", None)
    dims = card.zoo.get("dims") if card is not None else None
    if dims:
        return int(dims)
    return _MODE_DIMS.get(str(_config_value(model, "data.mode")))


def _batches(count: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, count, size):
        yield start, min(start + size, count)


def track_progress(items: Iterable, total: int, description: str, progress: bool) -> Iterable:
    """A progress bar on stderr: stdout may be carrying a result (``zoo evaluate --json``)."""
    if not progress:
        return items
    from rich.console import Console
    from rich.progress import track

    return track(items, description=description, total=total, transient=False,
                 console=Console(stderr=True))  # fmt: skip


def _condition_batch(name: str, condition: Any, n: int | None, kind: str) -> torch.Tensor:
    """The batch of conditions, one per sample: one condition is repeated ``n`` times."""
    layout = "class indices (N,) or one-hot rows (N, K)" if kind == "class" else "(N, C, *spatial)"
    if condition is None:
        how = "--class NAME" if kind == "class" else "--condition PATH"
        raise ZooError(
            f"{name} is conditional: pass condition=<tensor {layout}> "
            f"(`zoo generate {how}` on the command line)."
        )
    condition = torch.as_tensor(condition)
    if condition.ndim < (1 if kind == "class" else 3):
        raise ZooError(f"condition must be a batch {layout}, got shape {tuple(condition.shape)}.")
    if n is not None and n > 1:
        if condition.shape[0] != 1 and condition.shape[0] != n:
            raise ZooError(
                f"n={n} but {condition.shape[0]} conditions were given; pass one condition "
                "to draw n samples of it, or leave n out."
            )
        condition = condition.expand(n, *condition.shape[1:])
    return condition


def _route(model: GANModel, condition: torch.Tensor) -> tuple[Any, bool, bool]:
    """(block size, slice by slice?, block by block?) for a batch of conditions."""
    block = block_size_of(model)
    by_slice = spatial_dims_of(model) == 2 and condition.ndim == 5
    whole = (
        not by_slice
        and block is not None
        and len(block) == condition.ndim - 2
        and tuple(condition.shape[2:]) != tuple(block)
    )
    return block, by_slice, whole


def conditions_used(
    model: GANModel,
    condition: torch.Tensor,
    n: int | None = None,
    seed: int | None = None,
    *,
    first_index: int = 0,
    options: dict[str, Any] | None = None,
) -> torch.Tensor:
    """The conditions :func:`generate` with the same arguments fed to each sample, on the CPU.

    They differ from ``condition`` only for models that vary it per sample
    (:meth:`GANModel.vary_condition`, e.g. boundary perturbation), and only where samples
    are drawn whole with a seed; volumes run slice by slice or block by block (whose parts
    would each be varied on their own) and unseeded runs give the conditions as passed.
    """
    from zoo_core.interfaces.model import GANModel

    name = model.model_id or type(model).__name__
    batch = _condition_batch(name, condition, n, model.condition_kind)
    _, by_slice, whole = _route(model, batch)
    varies = type(model).vary_condition is not GANModel.vary_condition
    if not varies or by_slice or whole or seed is None:
        return batch.detach().cpu()
    options = dict(options or {})
    return torch.cat([
        model.condition_for(batch[i : i + 1], derive_seed(seed, first_index + i), **options).cpu()
        for i in range(batch.shape[0])
    ])  # fmt: skip


def generate(
    model_or_id: GANModel | str,
    n: int | None = None,
    condition: torch.Tensor | None = None,
    seed: int | None = None,
    batch_size: int = 8,
    device: str | torch.device | None = None,
    *,
    progress: bool = False,
    first_index: int = 0,
    overlap: float = 0.5,
    tiling: str = "sliding",
    margin: int = 0,
    sw_batch_size: int = 4,
    slice_axis: int | None = None,
    options: dict[str, Any] | None = None,
    **load_kwargs: Any,
) -> torch.Tensor:
    """Generate samples (N, C, *spatial) on the CPU, in the model card's value range.

    Unconditional models take ``n``. Conditional models take ``condition`` (N, C, *spatial);
    with ``n`` and a single condition, ``n`` samples of that condition are drawn (different
    noise per sample). ``first_index`` numbers the samples from there, so that
    ``generate(m, 10, seed=s, first_index=10)`` continues ``generate(m, 10, seed=s)`` (how
    long runs are written chunk by chunk). Block models (``block_size`` declared) given
    conditions larger than one block go through :func:`zoo_core.generation.infer_volume`
    (``overlap``, ``tiling``, ``margin``, ``sw_batch_size``) so memory stays bounded. 2D
    models (card ``dims: 2``) given volumes (N, C, X, Y, Z) go through
    :func:`zoo_core.generation.infer_slices`: slices along ``slice_axis`` (default: the
    config's ``data.slice_axis``, else 2), ``batch_size`` slices per model call.
    ``options`` are the architecture's own keyword arguments of :meth:`GANModel.generate`
    (a style image...). ``load_kwargs`` go to ``zoo.load`` when ``model_or_id`` is an id
    (``pretrained``, ``revision``, ``source``...).
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ZooError(f"batch_size must be a positive integer, not {batch_size!r}.")
    model = resolve_model(model_or_id, device, **load_kwargs)
    name = model.model_id or type(model).__name__
    options = dict(options or {})
    if model.conditional:
        condition = _condition_batch(name, condition, n, model.condition_kind)
        count = condition.shape[0]
        block, by_slice, whole = _route(model, condition)
    else:
        if condition is not None:
            raise ZooError(f"{name} is unconditional: pass n=<count>, not a condition.")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ZooError(f"n must be a positive integer number of samples, not {n!r}.")
        count, block, whole, by_slice = n, None, False, False

    def draw(start: int, stop: int, sample_seed: int | None) -> torch.Tensor:
        if by_slice:
            from zoo_core.generation.slicewise import infer_slices

            axis = slice_axis if slice_axis is not None else _config_value(model, "data.slice_axis")
            return infer_slices(
                model,
                condition[start],
                axis=2 if axis is None else int(axis),
                batch_size=batch_size,
                seed=sample_seed,
                options=options,
            )[None]
        if whole:
            from zoo_core.generation.volume import infer_volume

            return infer_volume(
                model,
                condition[start],
                block,
                overlap=overlap,
                tiling=tiling,
                margin=margin,
                sw_batch_size=sw_batch_size,
                seed=sample_seed,
                options=options,
            )[None]
        seeds = None if sample_seed is None else [sample_seed]  # the sample's own seed
        if model.conditional:
            out = model.generate(condition=condition[start:stop], seed=seeds, **options)
        else:
            out = model.generate(n=stop - start, seed=seeds, **options)
        return out.detach().cpu()

    if seed is None and not (whole or by_slice):
        spans = list(_batches(count, batch_size))
        parts = [
            draw(a, b, None)
            for a, b in track_progress(spans, len(spans), f"Generating {count}", progress)
        ]
    else:
        indices = range(count)
        parts = [
            draw(i, i + 1, None if seed is None else derive_seed(seed, first_index + i))
            for i in track_progress(indices, count, f"Generating {count}", progress)
        ]
    return torch.cat(parts)
