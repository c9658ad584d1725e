"""Generation with a style image: map (+ boundary perturbation) + z -> CT slices in that style.

In Krishna & Mueller's method G(y, z) takes no style input: G is *learned for* a style image
(contribution 1) through the per-region style loss. To generate in the style of a new image
x_s, :func:`adapt_to_style` therefore continues that learning on a copy of G for a few steps:
eq. (8) with the given style slice and its map, the trained D, and as content x_o either the
CT the map was drawn from (``content=``) or, for a bare map, the unadapted G's own output.
With no style image the trained G is used as it is.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo_core.data import CTWindow, fit_to_size, read_image
from zoo_core.errors import DataError
from zoo_core.generation import derive_seed
from zoo_stylecgan.data import ct_to_unit, read_map
from zoo_stylecgan.perturb import perturb_map
from zoo_stylecgan.regions import region_map


def window_of(model: Any) -> CTWindow:
    return CTWindow(*[float(v) for v in model.config.data.hu_window])


def _slice(array: np.ndarray, index: int | None) -> np.ndarray:
    """A 2D ``(1, H, W)`` image; 3D volumes give their axial slice ``index`` (default middle)."""
    if array.ndim == 3:
        return array[:1]
    depth = array.shape[-1]
    index = depth // 2 if index is None else index
    if not 0 <= index < depth:
        raise DataError(f"slice {index} is outside the volume's {depth} axial slices.")
    return array[:1, :, :, index]


def _fit(x: np.ndarray, model: Any, label: bool, pad: float) -> torch.Tensor:
    size = [model.resolution, model.resolution]
    mode = model.config.data.size_mode if model.config is not None else "resize"
    tensor = torch.from_numpy(np.ascontiguousarray(x))
    out = fit_to_size(tensor.long() if label else tensor.float(), size, mode, label=label,
                      pad_value=pad)  # fmt: skip
    return out[None]


def read_condition(path: str | Path, model: Any, slice_index: int | None = None) -> torch.Tensor:
    """A map file (gray values or class indices) -> ``(1, 1, R, R)`` int64 at the model's size."""
    labels = read_map(Path(path), model.label_values, model.num_classes)
    if labels.ndim == 4:
        labels = _slice(labels, slice_index)
    return _fit(labels, model, label=True, pad=0)


def read_style(
    path: str | Path,
    model: Any,
    map_path: str | Path | None = None,
    slice_index: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A style CT slice in [-1, 1] and its map, both ``(1, 1, R, R)``.

    NIfTI/DICOM are read in HU; PNG as the model's HU window drawn 0..255. Without
    ``map_path`` the map is derived from the HU values with the model's region scheme.
    """
    array, meta = read_image(path)
    hu = _slice(array, slice_index)
    unit = ct_to_unit(hu, meta["format"], window_of(model)).astype(np.float32)
    if map_path is not None:
        labels = read_map(Path(map_path), model.label_values, model.num_classes)
        labels = _slice(labels, slice_index) if labels.ndim == 4 else labels
        if labels.shape != unit.shape:
            raise DataError(f"{map_path}: map shape {labels.shape[1:]} differs from the style "
                            f"image's {unit.shape[1:]}.")  # fmt: skip
    else:
        physical = window_of(model).inverse(unit) if meta["format"] in ("png", "jpeg") else hu
        labels = region_map(physical, model.config.data.region_scheme)
    background = float(unit[labels == 0].mean()) if (labels == 0).any() else -1.0
    return _fit(unit, model, False, background), _fit(labels, model, True, 0)


def adapt_to_style(
    model: Any,
    condition: torch.Tensor,
    style: torch.Tensor,
    style_map: torch.Tensor,
    losses: Any,
    *,
    steps: int = 20,
    lr: float | None = None,
    content: torch.Tensor | None = None,
    seed: int = 0,
) -> torch.nn.Module:
    """A copy of G trained ``steps`` Adam steps on eq. (8) for one style slice and one map.

    G runs in eval mode (BatchNorm statistics of training, not of one image); z is redrawn
    every step so that the adapted G still varies with z.
    """
    from zoo_core.losses import TotalVariation
    from zoo_core.registry import get_registry

    train = model.config.train
    device = model.device
    generator = copy.deepcopy(model.generator).to(device).eval()
    for p in generator.parameters():
        p.requires_grad_(True)
    base = str(train.adversarial).replace("wgan-gp", "wgan")
    adversarial = get_registry().loss(base)()
    optimizer = torch.optim.Adam(
        generator.parameters(),
        lr=float(lr if lr is not None else train.optimizer_g.lr),
        betas=tuple(float(b) for b in train.optimizer_g.betas),
    )
    tv = TotalVariation(power=2, reduction="mean")
    rng = torch.Generator(device=device)
    rng.manual_seed(int(seed))
    onehot = model.onehot(condition.to(device))
    style, style_map = style.to(device), style_map.to(device)
    condition = condition.to(device)
    for p in model.discriminator.parameters():
        p.requires_grad_(False)
    model.discriminator.eval()
    history = []
    try:
        for _ in range(int(steps)):
            z = torch.randn(condition.shape[0], model.latent_dim, device=device, generator=rng)
            if content is None:
                with torch.no_grad():
                    reference = model.generator(onehot, z)
            else:
                reference = content.to(device)
            fake = generator(onehot, z)
            terms = losses(fake, condition, style, style_map, content=reference)
            adv = adversarial.g_loss(model.discriminator(fake, onehot))
            loss = (adv + float(train.style_weight) * terms["style"]
                    + float(train.content_weight) * terms["content"]
                    + float(train.tv_weight) * tv(fake))  # fmt: skip
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            history.append(float(loss.detach()))
    finally:
        for p in model.discriminator.parameters():
            p.requires_grad_(True)
    generator.eval().requires_grad_(False)
    generator.adapt_history = history
    return generator


@dataclass
class Stylized:
    """What :func:`stylize` made: one map and one image per sample, ``(n, 1, R, R)``."""

    maps: torch.Tensor
    images: torch.Tensor
    style: torch.Tensor | None = None
    adapt_history: list[float] = field(default_factory=list)


def stylize(
    model: Any,
    condition: torch.Tensor,
    *,
    n: int = 1,
    seed: int = 0,
    perturb: bool = False,
    perturb_magnitude: float | None = None,
    style: tuple[torch.Tensor, torch.Tensor] | None = None,
    content: torch.Tensor | None = None,
    losses: Any = None,
    adapt_steps: int = 20,
    lr: float | None = None,
) -> Stylized:
    """``n`` CT slices for one map ``(1, 1, R, R)``: sample ``j`` draws z from (seed, j), and
    with ``perturb`` its own smoothly deformed map. With ``style`` (slice, map) G is first
    adapted to it (:func:`adapt_to_style`, needs ``losses``)."""
    if perturb:
        maps = torch.cat([
            perturb_map(condition, derive_seed(seed, j) & 0x7FFFFFFF, magnitude=perturb_magnitude)
            for j in range(n)
        ])  # fmt: skip
    else:
        maps = condition.expand(n, *condition.shape[1:]).clone()
    original = model.generator
    history: list[float] = []
    if style is not None and adapt_steps > 0:
        if losses is None:
            raise DataError("adapting to a style image needs the VGG-19 losses (losses=).")
        adapted = adapt_to_style(
            model, condition, style[0], style[1], losses,
            steps=adapt_steps, lr=lr, content=content, seed=seed,
        )  # fmt: skip
        history = adapted.adapt_history
        model.generator = adapted
    try:
        images = torch.cat(
            [model.generate(condition=maps[j : j + 1], seed=derive_seed(seed, j)) for j in range(n)]
        ).cpu()
    finally:
        model.generator = original
    return Stylized(maps.cpu(), images, None if style is None else style[0].cpu(), history)
