"""Generation with a style image: reading the style slice and adapting G to it.

In Krishna & Mueller's method G(y, z) takes no style input: G is *learned for* a style image
(contribution 1) through the per-region style loss. To generate in the style of a new image
x_s, :func:`adapt_to_style` therefore continues that learning on a copy of G for a few steps:
eq. (8) with the given style slice and its map, the trained D, and as content x_o either the
CT the map was drawn from (``content=``) or, for a bare map, the unadapted G's own output.
With no style image the trained G is used as it is. ``StyleCGAN.generate(condition=...,
style=..., perturb=True)`` (and ``zoo generate --style --perturb``) puts this together.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo_core.plugin_api import CTWindow, DataError, fit_to_size, read_image
from zoo_stylecgan.data import ct_to_unit, read_map
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
    from zoo_core.plugin_api import TotalVariation, get_registry
    from zoo_core.plugin_api import report_progress as report

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
    # The style slice and a given content slice are the same every step: run them once.
    style_features = losses.target_features(style)
    content_features = None if content is None else losses.target_features(content.to(device))
    try:
        for _ in range(int(steps)):
            z = torch.randn(condition.shape[0], model.latent_dim, device=device, generator=rng)
            reference = None
            if content is None:
                with torch.no_grad():
                    reference = model.generator(onehot, z)
            fake = generator(onehot, z)
            terms = losses(
                fake,
                condition,
                None,
                style_map,
                content=reference,
                style_features=style_features,
                content_features=content_features,
            )
            adv = adversarial.g_loss(model.discriminator(fake, onehot))
            loss = (adv + float(train.style_weight) * terms["style"]
                    + float(train.content_weight) * terms["content"]
                    + float(train.tv_weight) * tv(fake))  # fmt: skip
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            history.append(float(loss.detach()))
            report("adapting G to the style image", len(history), int(steps))
    finally:
        for p in model.discriminator.parameters():
            p.requires_grad_(True)
    generator.eval().requires_grad_(False)
    generator.adapt_history = history
    return generator
