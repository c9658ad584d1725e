"""The 3D conditional GAN of Mangalagiri et al. as a :class:`zoo_core.GANModel`."""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch

from zoo_cgan3d.conditions import (
    TASKS,
    lattice_cubic,
    lattice_interpolation,
    make_condition,
    median_filter,
)
from zoo_cgan3d.networks import (
    ConditionalPatchDiscriminator,
    LatticeGenerator,
    UNetGenerator,
)
from zoo_core.plugin_api import Batch, ConfigError, GANModel, ZooError

#: Side of the median filter that ``residual_base=median`` corrects (the stronger baseline).
MEDIAN_BASE_SIZE = 5
#: Side of the median filter that ``median_input`` feeds the generator (the finer one).
MEDIAN_INPUT_SIZE = 3
#: The spatial axes a block is mirrored along for ``self_ensemble`` (with the identity: 8).
MIRRORS = ((2,), (3,), (4,), (2, 3), (2, 4), (3, 4), (2, 3, 4))


class CGAN3D(GANModel):
    """Maps a 32³ condition block (identity, noisy or pixelated CT) to a clean CT block.

    ``block_size`` tells ``zoo generate`` and :func:`zoo_cgan3d.reconstruct.reconstruct` to
    run a whole scan through the model block by block (sliding window), so memory is bounded
    by the block batch, not by the scan.
    """

    conditional = True
    value_range = (-1.0, 1.0)

    def __init__(self, cfg: Any) -> None:
        super().__init__()
        if cfg.task not in TASKS:
            raise ConfigError(f"model.task must be one of {', '.join(TASKS)}, not {cfg.task!r}")
        lattice = bool(cfg.generator_lattice)
        if lattice and cfg.task == "autoencode":
            raise ConfigError("model.generator_lattice needs model.task=depixelate or denoise")
        if lattice and not cfg.generator_residual:
            raise ConfigError("model.generator_lattice needs model.generator_residual=true")
        if not lattice and len(cfg.generator_strides) != len(cfg.generator_channels) - 1:
            raise ConfigError(
                "model.generator_strides needs one entry fewer than model.generator_channels "
                f"(got {len(cfg.generator_strides)} and {len(cfg.generator_channels)})"
            )
        self.task = cfg.task
        self.block_size = int(cfg.block_size)
        self.channels = int(cfg.channels)
        self.z_dim = int(cfg.z_dim)
        self.noise_level = float(cfg.noise_level)
        self.pixelate_factor = int(cfg.pixelate_factor)
        # a lattice generator works on cells of pixelate_factor³ voxels and has no strides
        self.divisor = cfg.pixelate_factor if lattice else math.prod(cfg.generator_strides)
        self.size_multiple = self.divisor  # what the generator's input takes
        if self.task == "depixelate":  # whole scans are cut on the pixelation's lattice
            self.window_alignment = self.pixelate_factor
        if self.block_size % self.divisor:
            raise ConfigError(
                f"model.block_size {self.block_size} must be divisible by the product of "
                "model.generator_strides (model.pixelate_factor with "
                f"model.generator_lattice): {self.divisor}"
            )
        if cfg.median_input and cfg.task != "denoise":
            raise ConfigError("model.median_input needs model.task=denoise")
        extra_inputs = int(bool(cfg.slope_input)) + int(bool(cfg.median_input))
        if lattice:
            self.generator = LatticeGenerator(
                self.channels,
                self.z_dim,
                list(cfg.generator_channels),
                self.pixelate_factor,
                extra_inputs,
                every_voxel=self.task == "denoise",
            )
        else:
            self.generator = UNetGenerator(
                self.channels,
                self.z_dim,
                list(cfg.generator_channels),
                list(cfg.generator_strides),
                int(cfg.generator_res_units),
                float(cfg.generator_dropout),
                residual=bool(cfg.generator_residual),
                norm=str(cfg.generator_norm),
                extra_inputs=extra_inputs,
            )
        self.slope_input = bool(cfg.slope_input)
        self.median_input = bool(cfg.median_input)
        self.self_ensemble = bool(cfg.self_ensemble)
        self.noise_level_jitter = float(cfg.noise_level_jitter)
        needs = {
            "condition": None,
            "interpolated": "depixelate",
            "cubic": "depixelate",
            "median": "denoise",
        }
        if cfg.residual_base not in needs:
            raise ConfigError(
                "model.residual_base must be condition, interpolated, cubic or median, not "
                f"{cfg.residual_base!r}"
            )
        if needs[cfg.residual_base] not in (None, cfg.task):
            raise ConfigError(
                f"model.residual_base={cfg.residual_base} needs model.task="
                f"{needs[cfg.residual_base]}"
            )
        self.residual_base = str(cfg.residual_base)
        self.hu_l1_weight = float(cfg.hu_l1_weight)
        self.hu_mse_weight = float(cfg.hu_mse_weight)
        self.discriminator = ConditionalPatchDiscriminator(
            self.channels, int(cfg.discriminator_channels), int(cfg.discriminator_layers)
        )

    # -- noise and conditions ---------------------------------------------------------------

    def draw_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """The paper's noise vector: uniform on [-1, 1], one per block."""
        return torch.rand(n, self.z_dim, device=self.device, generator=generator) * 2 - 1

    def make_condition(
        self, clean: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """This model's task condition for clean intensities in [-1, 1] (any spatial size)."""
        return make_condition(
            self.task,
            clean,
            noise_level=self.noise_level,
            pixelate_factor=self.pixelate_factor,
            generator=generator,
        )

    # -- inference --------------------------------------------------------------------------

    def sample(
        self,
        n: int | None,
        condition: torch.Tensor | None,
        generator: torch.Generator | None,
        hu_lookup: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``hu_lookup``: the scan's inverse intensity table (:func:`zoo_cgan3d.data.hu_lookup`,
        shape (L,) or (N, L)), which a ``slope_input`` model reads."""
        if condition is None or condition.ndim != 5 or condition.shape[1] != self.channels:
            shape = None if condition is None else tuple(condition.shape)
            raise ZooError(
                f"condition must be a batch of blocks (N, {self.channels}, D, H, W), e.g. "
                f"(N, {self.channels}, {self.block_size}, {self.block_size}, {self.block_size})"
                f"; got {shape}. For a whole scan use zoo_cgan3d.reconstruct.reconstruct or "
                "`zoo generate ID --condition scan.nii.gz`."
            )
        bad = [s for s in condition.shape[2:] if s % self.divisor]
        if bad:
            raise ZooError(
                f"block sides must be multiples of {self.divisor}; got {tuple(condition.shape[2:])}"
            )
        condition = condition.float()
        if self.slope_input and hu_lookup is None:
            warnings.warn(
                f"{self.model_id or 'this model'} reads each scan's intensity table "
                "(model.slope_input) and none was given: the blocks are read as a linear "
                "window of data.hu_window. For scans, run `zoo generate ID --condition "
                "scan.nii.gz` or `zoo cgan3d reconstruct`, or pass "
                "**model.condition_options(fitted_transform).",
                UserWarning,
                stacklevel=3,
            )
            hu_lookup = self.window_lookup()
        if hu_lookup is not None:
            hu_lookup = hu_lookup.to(condition.device).float()
            if hu_lookup.ndim == 1:
                hu_lookup = hu_lookup.expand(condition.shape[0], -1)
        out = self._generate(condition, generator, hu_lookup)
        if self.self_ensemble:
            for axes in MIRRORS:
                mirrored = self._generate(condition.flip(axes), generator, hu_lookup)
                out = out + mirrored.flip(axes)
            out = out / (len(MIRRORS) + 1)
        return out.clamp(*self.value_range)

    def window_lookup(self) -> torch.Tensor:
        """The HU table of a linear window of ``data.hu_window``: what a slope model assumes
        for blocks that come without their scan's table (a MONAI bundle, the kit)."""
        from zoo_cgan3d.data import HU_LOOKUP_SIZE

        low, high = (float(v) for v in self.config.data.hu_window)
        return torch.linspace(low, high, HU_LOOKUP_SIZE)

    def condition_options(self, transform: Any) -> dict[str, Any]:
        """A ``slope_input`` model reads the scan's HU table (the fitted transform's inverse),
        so whole scans through ``zoo generate`` get it as ``reconstruct`` does."""
        if not self.slope_input:
            return {}
        from zoo_cgan3d.data import hu_lookup

        return {"hu_lookup": hu_lookup(transform)}

    # -- training ---------------------------------------------------------------------------

    def prepare_batch(self, batch: Batch, generator: torch.Generator | None = None) -> Batch:
        """Move to the device and make the task's condition from the clean target block.

        A batch that already carries a ``condition`` (paired data) keeps it. A made condition
        is clipped to the batch's ``value_bounds`` (each scan's value range, where the data
        gives it), as a noisy scan stored in HU is.
        """
        batch = super().prepare_batch(batch, generator)
        if batch.get("condition") is None:
            if self.task == "denoise" and self.noise_level_jitter > 0 and self.training:
                condition = self._jittered_noise(batch["target"], generator)
            else:
                condition = self.make_condition(batch["target"], generator)
            bounds = batch.get("value_bounds")
            if bounds is not None:
                shape = (-1,) + (1,) * (condition.ndim - 1)
                low, high = bounds[:, 0].reshape(shape), bounds[:, 1].reshape(shape)
                condition = torch.minimum(torch.maximum(condition, low), high)
            batch["condition"] = condition
        return batch

    def _jittered_noise(self, clean: torch.Tensor, generator: torch.Generator | None):
        """Poisson noise at a level drawn per block around ``noise_level`` (see the config)."""
        from zoo_cgan3d.conditions import poisson_noise

        j = self.noise_level_jitter
        u = torch.rand(clean.shape[0], device=clean.device, generator=generator)
        levels = self.noise_level * torch.exp((2 * u - 1) * j)
        return torch.cat(
            [
                poisson_noise(block[None], float(level), generator)
                for block, level in zip(clean, levels, strict=True)
            ]
        )

    def fake_batch(self, batch: Batch, generator: torch.Generator | None = None) -> torch.Tensor:
        condition = batch["condition"]
        return self._generate(condition, generator, batch.get("hu_lookup"))

    def _generate(
        self,
        condition: torch.Tensor,
        generator: torch.Generator | None,
        lookup: torch.Tensor | None = None,
    ) -> torch.Tensor:
        extras = []
        if self.slope_input:
            if lookup is None:
                raise ZooError("model.slope_input needs the batch's hu_lookup tables")
            extras.append(torch.log1p(hu_slope_at(condition.float(), lookup.float())))
        if self.median_input:
            extras.append(median_filter(condition, MEDIAN_INPUT_SIZE).float())
        extra = torch.cat(extras, dim=1) if extras else None
        base = None
        if self.residual_base == "interpolated":
            base = lattice_interpolation(condition, self.pixelate_factor)
        elif self.residual_base == "cubic":
            base = lattice_cubic(condition, self.pixelate_factor)
        elif self.residual_base == "median":
            base = median_filter(condition, MEDIAN_BASE_SIZE)
        z = self.draw_z(condition.shape[0], generator)
        return self.generator(condition, z, base, extra)

    def auxiliary_loss(self, batch: Batch, fake: torch.Tensor) -> torch.Tensor:
        """``hu_l1_weight`` x the mean absolute error and ``hu_mse_weight`` x the mean squared
        error in HU, in units of half each scan's HU range, read through the batch's
        ``hu_lookup`` tables; generator step only (a detached fake has nothing to learn)."""
        lookup = batch.get("hu_lookup")
        weights = (self.hu_l1_weight, self.hu_mse_weight)
        if max(weights) <= 0 or lookup is None or not fake.requires_grad:
            return fake.new_zeros(())
        lookup = lookup.float()
        half_range = ((lookup[:, -1] - lookup[:, 0]) / 2).clamp_min(1e-6)
        shape = (-1,) + (1,) * (fake.ndim - 1)
        error = (to_hu(fake.float(), lookup) - to_hu(batch["target"].float(), lookup)) / (
            half_range.reshape(shape)
        )
        l1 = error.abs().flatten(1).mean(1).mean()
        mse = error.square().flatten(1).mean(1).mean()
        return self.hu_l1_weight * l1 + self.hu_mse_weight * mse

    def critic(self, images: torch.Tensor, batch: Batch) -> torch.Tensor:
        return self.discriminator(batch["condition"], images)

    def example_batch(self, batch_size: int = 2) -> Batch:
        b = self.block_size
        batch = {"target": torch.rand(batch_size, self.channels, b, b, b) * 2 - 1}
        if self.slope_input:  # training batches carry each block's scan table
            batch["hu_lookup"] = self.window_lookup().expand(batch_size, -1)
        return batch


def to_hu(y: torch.Tensor, lookup: torch.Tensor) -> torch.Tensor:
    """Intensities ``y`` (N, ...) in [-1, 1] to HU by linear interpolation in each item's
    table ``lookup`` (N, L) of HU at L uniform levels; differentiable in ``y``."""
    steps = lookup.shape[1] - 1
    position = (y.clamp(-1.0, 1.0) + 1.0).flatten(1) * (steps / 2.0)
    below = position.detach().floor().clamp(0, steps - 1).long()
    low, high = lookup.gather(1, below), lookup.gather(1, below + 1)
    return (low + (position - below) * (high - low)).reshape(y.shape)


def hu_slope_at(y: torch.Tensor, lookup: torch.Tensor) -> torch.Tensor:
    """HU per normalised unit of each item's table ``lookup`` (N, L) at ``y`` (N, ...): the
    slope of the piece of :func:`to_hu` that ``y`` falls in (no gradient)."""
    steps = lookup.shape[1] - 1
    position = (y.detach().clamp(-1.0, 1.0) + 1.0).flatten(1) * (steps / 2.0)
    below = position.floor().clamp(0, steps - 1).long()
    rise = lookup.gather(1, below + 1) - lookup.gather(1, below)
    return (rise.abs() * (steps / 2.0)).reshape(y.shape)


def build(cfg: Any) -> CGAN3D:
    return CGAN3D(cfg)
