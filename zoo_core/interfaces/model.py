"""The model contract: what every builder returns and what ``zoo.load`` hands to users.

A :class:`GANModel` owns its networks (``generator``, ``discriminator`` and any others) so that
one state dict carries everything that is published. Users call :meth:`GANModel.generate`;
the trainer calls the small set of training methods, which subclasses override where their
architecture differs (conditioning, auxiliary heads, progressive growing).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from zoo_core.errors import ZooError

Batch = dict[str, Any]


class GANModel(nn.Module):
    """Base class of every architecture the zoo builds.

    Subclasses assign ``self.generator`` and ``self.discriminator`` and implement
    :meth:`sample`. Unconditional models draw ``n`` samples; conditional ones
    (``conditional = True``) map a batch of conditions to outputs.

    Attributes set by ``zoo.load``: ``model_id``, ``config`` (the full run config), ``card``
    (:class:`zoo_core.cards.ModelCard`) and ``weights_info`` (repo, revision, sha256).
    """

    conditional: ClassVar[bool] = False
    #: Output value range the card declares; generate() output lies within it.
    value_range: tuple[float, float] = (-1.0, 1.0)
    #: Spatial sizes the networks accept must be multiples of this (``2**downsamplings`` for
    #: fully convolutional encoders); ``zoo.generate`` pads slices up to it and crops back.
    size_multiple: int = 1

    def __init__(self) -> None:
        super().__init__()
        self.model_id: str | None = None
        self.config: Any = None
        self.card: Any = None
        self.weights_info: dict[str, Any] = {}

    @property
    def device(self) -> torch.device:
        for tensor in self.parameters():
            return tensor.device
        return torch.device("cpu")

    # -- generation --------------------------------------------------------------------------

    def generate(
        self,
        n: int | None = None,
        condition: torch.Tensor | None = None,
        seed: int | None = None,
    ) -> torch.Tensor:
        """Produce samples in the layout and value range the model card declares.

        Unconditional models take ``n``; conditional ones take a ``condition`` batch (and
        ignore ``n``). The same ``seed`` gives the same images on the same device.
        """
        if self.conditional:
            if condition is None:
                raise ZooError(
                    f"{self.model_id or type(self).__name__} is conditional: pass condition=<a "
                    "batch tensor>, e.g. the map, noisy block or low-resolution volume."
                )
            if not isinstance(condition, torch.Tensor):
                raise ZooError(f"condition must be a torch.Tensor, not {type(condition).__name__}")
            condition = condition.to(self.device)
        else:
            if condition is not None:
                raise ZooError(
                    f"{self.model_id or type(self).__name__} is unconditional: pass n=<count>, "
                    "not a condition."
                )
            if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                raise ZooError(f"n must be a positive integer number of samples, not {n!r}")
        rng = None
        if seed is not None:
            rng = torch.Generator(device=self.device)
            rng.manual_seed(int(seed))
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                out = self.sample(n=n, condition=condition, generator=rng)
        finally:
            self.train(was_training)
        low, high = self.value_range
        return out.clamp(low, high)

    def output_intensity(self) -> Any:
        """How outputs map to physical units: a fixed ``zoo_core.data`` intensity transform
        (e.g. ``CTWindow(-1000, 1000)`` for synthetic CT), or None for "as the condition".

        None suits same-domain models (denoising, super-resolution): outputs are written in the
        units of their input. Translation models (MR -> CT) override it, so that ``zoo
        generate`` writes HU rather than the input's MR units.
        """
        return None

    def sample(
        self,
        n: int | None,
        condition: torch.Tensor | None,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        """Draw samples without gradient bookkeeping; called by :meth:`generate`."""
        raise NotImplementedError

    # -- training (used by zoo_core.training.GANTrainer) -----------------------------------

    def prepare_batch(self, batch: Batch, generator: torch.Generator | None = None) -> Batch:
        """Make what the task derives from the data, on the model's device.

        Called by the trainer on every batch the data loader yields (``{"target": ...}`` plus
        ``"condition"``/``"label"`` where the data has them). Task models override it to make
        their condition on the fly: a noisy or downsampled copy of the target, say.
        """
        device = self.device
        return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}

    def fake_batch(self, batch: Batch, generator: torch.Generator | None = None) -> torch.Tensor:
        """Generator output for a training batch (gradients kept), shaped like its target."""
        raise NotImplementedError

    def auxiliary_loss(self, batch: Batch, fake: torch.Tensor) -> torch.Tensor:
        """The architecture's own extra loss (auxiliary classifier, mutual information...).

        The trainer adds it to both the generator's and the discriminator's loss.
        """
        return fake.new_zeros(())

    def critic(self, images: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Discriminator scores for real or generated ``images`` of a batch."""
        return self.discriminator(images)

    def generator_parameters(self) -> list[nn.Parameter]:
        """What the generator's optimiser updates."""
        return list(self.generator.parameters())

    def discriminator_parameters(self) -> list[nn.Parameter]:
        """What the discriminator's optimiser updates."""
        return list(self.discriminator.parameters())

    def example_batch(self, batch_size: int = 2) -> Batch:
        """A random batch of the shapes training expects (for the conformance kit)."""
        raise NotImplementedError


def latent(
    n: int, dim: int, device: torch.device, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Standard-normal latent vectors, reproducible with a seeded generator."""
    return torch.randn(n, dim, device=device, generator=generator)
