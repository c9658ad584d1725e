"""The ``srgan3d`` GANModel: training forward, on-the-fly degradation, whole-volume inference."""

from __future__ import annotations

import math
from typing import Any

import torch

from zoo_core.plugin_api import Batch, ConfigError, GANModel, in_chunks, items_per_chunk
from zoo_srgan3d.augment import augment_intensity
from zoo_srgan3d.config import BLEND_MODES, DEGRADATIONS, RESIDUALS
from zoo_srgan3d.degrade import degrade
from zoo_srgan3d.networks import Discriminator, Generator


def _validate(cfg: Any) -> None:
    """Reject configs the networks cannot honour, naming the key (before any tensor exists)."""
    if not isinstance(cfg.scale_factor, int) or cfg.scale_factor < 2:
        raise ConfigError(f"model.scale_factor must be an integer >= 2, not {cfg.scale_factor!r}")
    if cfg.patch_size % cfg.scale_factor:
        raise ConfigError(
            f"model.patch_size={cfg.patch_size} is not a multiple of model.scale_factor="
            f"{cfg.scale_factor}; low-resolution patches must have a whole number of voxels."
        )
    if cfg.block_size < 1:
        raise ConfigError(f"model.block_size must be positive, not {cfg.block_size}")
    if cfg.degradation not in DEGRADATIONS:
        raise ConfigError(
            f"model.degradation={cfg.degradation!r} is not one of {', '.join(DEGRADATIONS)}"
        )
    if cfg.residual not in RESIDUALS:
        raise ConfigError(f"model.residual={cfg.residual!r} is not one of {', '.join(RESIDUALS)}")
    if cfg.inference_mode not in BLEND_MODES:
        raise ConfigError(
            f"model.inference_mode={cfg.inference_mode!r} is not one of {', '.join(BLEND_MODES)}"
        )
    if not 0.0 <= cfg.inference_overlap < 1.0:
        raise ConfigError(f"model.inference_overlap must be in [0, 1), not {cfg.inference_overlap}")


class SRGAN3D(GANModel):
    """Super-resolution of 3D MR volumes by an integer ``scale_factor`` per axis.

    ``generate(condition=low_res)`` maps a low-resolution batch (N, C, d, h, w) in [-1, 1] to
    (N, C, s*d, s*h, s*w); volumes larger than ``block_size`` go through sliding-window
    inference so memory does not grow with the volume. ``scale_factor`` and ``block_size``
    are attributes so the core's ``zoo generate`` can route whole volumes through it.
    """

    conditional = True
    value_range = (-1.0, 1.0)

    def __init__(self, cfg: Any):
        super().__init__()
        _validate(cfg)
        self.scale_factor: int = int(cfg.scale_factor)
        self.block_size: int = int(cfg.block_size)
        self.patch_size: int = int(cfg.patch_size)
        self.channels: int = int(cfg.channels)
        self.degradation: str = str(cfg.degradation)
        self.blur_fwhm: float | None = cfg.blur_fwhm
        self.inference_overlap: float = float(cfg.inference_overlap)
        self.inference_mode: str = str(cfg.inference_mode)
        self.inference_margin: int = int(cfg.inference_margin)
        self.sw_batch_size: int = int(cfg.sw_batch_size)
        self.augment: bool = bool(cfg.augment_intensity)
        self.generator = Generator(
            cfg.channels,
            cfg.gen_filters,
            cfg.residual_blocks,
            cfg.scale_factor,
            cfg.leaky_slope,
            residual=cfg.residual,
        )
        self.discriminator = Discriminator(
            cfg.channels,
            cfg.patch_size,
            cfg.disc_filters,
            cfg.disc_layers,
            cfg.disc_dense,
            cfg.leaky_slope,
        )

    # -- the task ------------------------------------------------------------------------------

    def degrade(self, high_res: torch.Tensor) -> torch.Tensor:
        """The low-resolution counterpart of a high-resolution batch, as training makes it."""
        return degrade(high_res, self.scale_factor, self.degradation, self.blur_fwhm)

    def prepare_batch(self, batch: Batch, generator: torch.Generator | None = None) -> Batch:
        """Move to the device and derive the low-resolution condition from the target there.

        A batch that already has a ``condition`` (paired data) keeps it. In training with
        ``model.augment_intensity`` the target is augmented first (zoo_srgan3d.augment).
        """
        batch = super().prepare_batch(batch, generator)
        if "condition" not in batch:
            with torch.no_grad():
                if self.augment and self.training:
                    batch["target"] = augment_intensity(batch["target"], generator)
                batch["condition"] = self.degrade(batch["target"])
        return batch

    # -- training ------------------------------------------------------------------------------

    def fake_batch(self, batch: Batch, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.generator(batch["condition"])

    def critic(self, images: torch.Tensor, batch: Batch) -> torch.Tensor:
        """D(x) in (0, 1): the paper's sigmoid output, which its least-squares losses use."""
        return self.discriminator(images)

    def example_batch(self, batch_size: int = 2) -> Batch:
        size = (batch_size, self.channels, *(self.patch_size,) * 3)
        return {"target": torch.rand(size, device=self.device) * 2 - 1}

    # -- inference -----------------------------------------------------------------------------

    def sample(
        self,
        n: int | None,
        condition: torch.Tensor | None,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        """Super-resolve a batch; larger than one block, window by window."""
        if condition.ndim != 5 or condition.shape[1] != self.channels:
            raise ConfigError(
                f"condition must be a (N, {self.channels}, D, H, W) low-resolution batch, "
                f"got {tuple(condition.shape)}"
            )
        if max(condition.shape[2:]) <= self.block_size + 2 * self.inference_margin:
            # one window (with its margin) at most; a few windows a call, so that the
            # up-sampled feature maps stay in cache (zoo_core.plugin_api.in_chunks)
            voxels = math.prod(self.scale_factor * side for side in condition.shape[2:])
            filters = int(self.config.model.gen_filters)
            element = torch.finfo(self.dtype).bits // 8
            out = in_chunks(self.generator, condition, items_per_chunk(voxels * filters * element))
        else:
            from zoo_srgan3d.inference import sliding_window

            out = sliding_window(self, condition)
        return out.clamp(*self.value_range)  # a residual output can overshoot the data range
