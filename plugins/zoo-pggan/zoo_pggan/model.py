"""The progressive GAN as a :class:`zoo_core.GANModel` (Beers et al. 2018).

The model keeps the level being trained and the fade-in weight as buffers, so a checkpoint
taken at 32x32 generates 32x32 images after ``zoo.load`` and a fully grown one generates at
``max_resolution``. A freshly built model is fully grown (level = last, alpha = 1): that is
the architecture a user asks for with ``zoo.load(id, pretrained=False)``; the trainer sets the
level back to the start resolution when training begins.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from zoo_core.plugin_api import Batch, ConfigError, GANModel, in_chunks, items_per_chunk, latent
from zoo_pggan.networks import Discriminator, Generator, filters_for, resolutions


class ProgressiveGAN(GANModel):
    """Generator, critic and (optionally) latent encoder of a progressively grown GAN."""

    def __init__(self, cfg: Any) -> None:
        super().__init__()
        try:
            self.resolutions = resolutions(4, int(cfg.max_resolution))
            start = int(cfg.start_resolution)
            if start not in self.resolutions:
                raise ValueError(f"start_resolution {start} is not one of {self.resolutions}")
            self.filters = [
                filters_for(r, int(cfg.filters), cfg.filters_at) for r in self.resolutions
            ]
        except ValueError as exc:
            raise ConfigError(f"model: {exc}") from None
        self.start_level = self.resolutions.index(start)
        self.latent_dim = int(cfg.latent_dim)
        self.image_channels = list(cfg.image_channels)
        self.segmentation_channels = list(cfg.segmentation_channels) if cfg.use_segmentation else []
        if not self.image_channels:
            raise ConfigError("model.image_channels must name at least one channel.")
        channels = len(self.image_channels) + len(self.segmentation_channels)
        self.fade_reals = bool(cfg.fade_reals)
        self.generator = Generator(
            self.latent_dim,
            channels,
            self.filters,
            pixel_norm=bool(cfg.pixel_norm),
            equalized=bool(cfg.equalized_lr),
            output_activation=str(cfg.output_activation),
        )
        self.discriminator = Discriminator(
            channels,
            self.filters,
            minibatch_std=bool(cfg.minibatch_std),
            group_size=int(cfg.minibatch_std_group),
            equalized=bool(cfg.equalized_lr),
        )
        # The encoder has the critic's architecture at full resolution (non-progressive) and
        # ends in a latent vector; it has no minibatch std, so an image's code does not depend
        # on the other images in its batch.
        self.encoder: Discriminator | None = None
        if cfg.encoder:
            self.encoder = Discriminator(
                channels,
                self.filters,
                out_features=self.latent_dim,
                minibatch_std=False,
                equalized=bool(cfg.equalized_lr),
            )
        self.register_buffer("level", torch.tensor(self.max_level, dtype=torch.long))
        self.register_buffer("alpha", torch.tensor(1.0))

    # -- the progressive state ---------------------------------------------------------------

    @property
    def max_level(self) -> int:
        return len(self.resolutions) - 1

    @property
    def channels(self) -> int:
        return len(self.image_channels) + len(self.segmentation_channels)

    @property
    def current_level(self) -> int:
        return int(self.level)

    @property
    def current_alpha(self) -> float:
        return float(self.alpha)

    @property
    def resolution(self) -> int:
        """The resolution generated now (the last one grown to)."""
        return self.resolutions[self.current_level]

    def set_phase(self, level: int, alpha: float = 1.0) -> None:
        """Grow (or shrink) to ``level`` with fade-in weight ``alpha``; weights are untouched."""
        if not 0 <= level <= self.max_level:
            raise ValueError(f"level must be in 0..{self.max_level}, not {level}")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], not {alpha}")
        self.level.fill_(int(level))
        self.alpha.fill_(float(alpha))

    # -- generation --------------------------------------------------------------------------

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z, self.current_level, self.current_alpha)

    def sample(
        self, n: int | None, condition: torch.Tensor | None, generator: torch.Generator | None
    ) -> torch.Tensor:
        """Samples drawn a few at a time (:func:`zoo_core.plugin_api.in_chunks`): at 512² a
        batch of 8 feature maps is 134 MB, and the element-wise work between convolutions
        then runs from memory instead of cache. The same latents give the same images."""
        z = latent(int(n or 1), self.latent_dim, self.device, generator)
        return in_chunks(self, z, self.images_per_chunk())

    def images_per_chunk(self) -> int:
        """How many images :meth:`sample` runs at once at the current level."""
        level = self.current_level
        largest = max(f * self.resolutions[k] ** 2 for k, f in enumerate(self.filters[: level + 1]))
        return items_per_chunk(largest * (torch.finfo(self.dtype).bits // 8))

    def split(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Image and segmentation channels apart (named as the card's outputs)."""
        n_image = len(self.image_channels)
        parts = {"image": images[:, :n_image]}
        if self.segmentation_channels:
            parts["segmentation"] = images[:, n_image:]
        return parts

    # -- training ----------------------------------------------------------------------------

    def downsample_to_level(self, images: torch.Tensor) -> torch.Tensor:
        """Real images at the current resolution, blended across the fade-in like the fakes.

        Karras et al. fade the reals too: during fade-in the critic sees
        ``lerp(upsample(pool(x)), x, alpha)``, so real and fake images change in the same way.
        """
        size = self.resolution
        if images.shape[-1] < size or images.shape[-2] < size:
            raise ValueError(
                f"training images of {tuple(images.shape[-2:])} are smaller than the current "
                f"resolution {size}; prepare them at model.max_resolution."
            )
        if images.shape[-1] != size or images.shape[-2] != size:
            images = F.adaptive_avg_pool2d(images, size)
        alpha = self.current_alpha
        if self.fade_reals and self.current_level > 0 and alpha < 1.0:
            low = F.interpolate(F.avg_pool2d(images, 2), scale_factor=2.0, mode="nearest")
            images = torch.lerp(low, images, alpha)
        return images

    def prepare_batch(self, batch: Batch, generator: torch.Generator | None = None) -> Batch:
        batch = super().prepare_batch(batch, generator)
        target = batch["target"]
        if target.shape[1] != self.channels:
            raise ValueError(
                f"training images have {target.shape[1]} channels; the model makes "
                f"{self.channels} ({', '.join(self.image_channels + self.segmentation_channels)})."
                " Is data.segmentation tied to model.use_segmentation?"
            )
        batch["target"] = self.downsample_to_level(target)
        return batch

    def critic(self, images: torch.Tensor, batch: Batch) -> torch.Tensor:
        return self.discriminator(images, self.current_level, self.current_alpha)

    def generator_parameters(self) -> list[nn.Parameter]:
        """Only the blocks of the current phase: the optimiser is rebuilt when it changes."""
        return self.generator.active_parameters(self.current_level, self.current_alpha)

    def discriminator_parameters(self) -> list[nn.Parameter]:
        return self.discriminator.active_parameters(self.current_level, self.current_alpha)

    def encoder_parameters(self) -> list[nn.Parameter]:
        if self.encoder is None:
            return []
        return list(self.encoder.parameters())

    def example_batch(self, batch_size: int = 2) -> Batch:
        size = self.resolutions[-1]
        return {"target": torch.rand(batch_size, self.channels, size, size) * 2 - 1}

    # -- latent encoder ----------------------------------------------------------------------

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Latent vectors for images in [-1, 1] (resized to ``max_resolution``)."""
        if self.encoder is None:
            raise ConfigError("this model was built with model.encoder=false: it has no encoder.")
        size = self.resolutions[-1]
        if images.shape[-1] > size:
            images = F.adaptive_avg_pool2d(images, size)
        elif images.shape[-1] < size:  # a generator not yet grown to the end
            images = F.interpolate(images, size=(size, size), mode="nearest")
        return self.encoder(images, self.max_level, 1.0)
