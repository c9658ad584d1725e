"""Volumes through 2D models: slice by slice, ``batch_size`` slices at a time.

A 2D conditional model (MR -> CT CycleGAN, a 2D denoiser) given a volume cannot take it in one
call, and every plugin re-implementing the slicing would re-implement its mistakes too (memory
that grows with the volume, sizes the network cannot take). :func:`infer_slices` moves the
slice axis into the batch, sends ``batch_size`` slices to ``model.generate`` at a time, pads
each slice up to the model's ``size_multiple`` (fully convolutional encoders halve the size
``n`` times) and crops the output back, then writes each chunk into one preallocated output
volume on the CPU. Device memory is bounded by the chunk, whatever the volume's depth.

Models whose outputs are ``k`` times their input in-plane (2D super-resolution) give volumes
``k`` times larger in-plane; the slice axis keeps its length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from zoo_core.errors import ZooError
from zoo_core.seeds import derive_seed

if TYPE_CHECKING:
    from zoo_core.interfaces.model import GANModel


def size_multiple_of(model: GANModel) -> int:
    """What the model's spatial sizes must be multiples of (``GANModel.size_multiple``)."""
    multiple = getattr(model, "size_multiple", 1) or 1
    if not isinstance(multiple, int) or multiple < 1:
        raise ZooError(
            f"{model.model_id or type(model).__name__}.size_multiple must be a positive "
            f"integer, not {multiple!r}."
        )
    return multiple


def input_floor(model: GANModel) -> float:
    """The lowest value of the model's input range (the card's first input), else -1.

    Slices are padded with it: for images scaled to [-1, 1] it is the background (air), so
    the padding looks like more of the field of view's edge rather than a bright frame.
    """
    card = getattr(model, "card", None)
    inputs = (card.zoo.get("inputs") if card is not None else None) or []
    value_range = inputs[0].get("value_range") if inputs else None
    return float(value_range[0]) if value_range else -1.0


def infer_slices(
    model: GANModel,
    volume: torch.Tensor,
    axis: int = 2,
    batch_size: int = 8,
    seed: int | None = None,
    *,
    pad_value: float | None = None,
    options: dict | None = None,
) -> torch.Tensor:
    """Run a 2D conditional model over ``volume`` (C, X, Y, Z) slice by slice along spatial
    ``axis`` (2: axial for RAS volumes); returns (C', X', Y', Z') on the CPU.

    At most ``batch_size`` slices go through the model per call. With ``seed``, call ``j``
    gets ``derive_seed(seed, j)``, so a run is reproducible for a given ``batch_size`` (as
    :func:`~zoo_core.generation.infer_volume` is for its block batch). Slices are padded
    with ``pad_value`` (default :func:`input_floor`) up to :func:`size_multiple_of` and the
    outputs cropped back, so the output keeps the input's geometry. ``options`` go to
    ``model.generate`` (the architecture's own keyword arguments).
    """
    if not getattr(model, "conditional", False):
        raise ZooError("infer_slices needs a conditional model: the volume is its condition.")
    volume = torch.as_tensor(volume)
    if volume.ndim != 4:
        raise ZooError(f"volume must be (C, X, Y, Z), got shape {tuple(volume.shape)}.")
    if axis not in (0, 1, 2):
        raise ZooError(f"the slice axis must be 0, 1 or 2 (a spatial axis), not {axis}.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ZooError(f"batch_size must be a positive integer, not {batch_size!r}.")
    if volume.shape[1 + axis] == 0:
        raise ZooError(f"the volume {tuple(volume.shape)} has no slice along axis {axis}.")
    multiple = size_multiple_of(model)
    fill = input_floor(model) if pad_value is None else float(pad_value)

    slices = volume.movedim(1 + axis, 0)  # (S, C, H, W): a view, nothing copied
    count, (h, w) = slices.shape[0], slices.shape[2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    out: torch.Tensor | None = None
    scale = (1, 1)
    for call, start in enumerate(range(0, count, batch_size)):
        chunk = slices[start : start + batch_size].to(torch.float32)
        if ph or pw:
            chunk = F.pad(chunk, (0, pw, 0, ph), value=fill)
        call_seed = None if seed is None else derive_seed(seed, call)
        result = model.generate(condition=chunk, seed=call_seed, **(options or {})).detach()
        if result.ndim != 4 or result.shape[0] != chunk.shape[0]:
            raise ZooError(
                f"a 2D model must map (N, C, H, W) slices to (N, C', H', W'); it turned "
                f"{tuple(chunk.shape)} into {tuple(result.shape)}."
            )
        if out is None:
            scale = _scale(tuple(result.shape[2:]), tuple(chunk.shape[2:]))
            out = torch.empty(count, result.shape[1], h * scale[0], w * scale[1])
        out[start : start + chunk.shape[0]] = result[:, :, : h * scale[0], : w * scale[1]].to(
            "cpu", torch.float32
        )
    return out.movedim(0, 1 + axis)  # type: ignore[union-attr]  # count >= 1


def _scale(out_hw: tuple[int, ...], in_hw: tuple[int, ...]) -> tuple[int, int]:
    if any(o % i for o, i in zip(out_hw, in_hw, strict=True)):
        raise ZooError(
            f"the model turned {in_hw} slices into {out_hw}: stacking slices back into a "
            "volume needs the output to be an integer multiple of the input in-plane."
        )
    return out_hw[0] // in_hw[0], out_hw[1] // in_hw[1]
