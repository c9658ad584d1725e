"""GAN training: the shared loop (:class:`GANTrainer`) and :func:`train` for registered ids."""

from __future__ import annotations

from zoo_core.training.checkpointing import latest_checkpoint
from zoo_core.training.run import train
from zoo_core.training.trainer import GANTrainer, TrainingInterrupted

__all__ = ["GANTrainer", "TrainingInterrupted", "latest_checkpoint", "train"]
