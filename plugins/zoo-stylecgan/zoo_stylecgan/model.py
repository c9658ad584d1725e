"""The style-transfer cGAN as a zoo model: conditions are region maps, outputs CT slices.

Conditions (``generate(condition=...)``, batches' ``"condition"``) are maps ``(N, 1, H, W)``
of class indices 0..K-1; maps drawn with the paper's gray values (0, 50, ..., 230) are
accepted too, and ``(N, K, H, W)`` one-hot maps pass through. Training batches also carry the
style slice ``"style"`` with its map ``"style_label"``, which only the G loss uses.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from zoo_core.errors import DataError
from zoo_core.interfaces.model import Batch, GANModel, latent
from zoo_stylecgan.networks import MapCritic, MapToCT


class StyleCGAN(GANModel):
    conditional = True
    value_range = (-1.0, 1.0)

    def __init__(self, cfg: Any) -> None:
        super().__init__()
        self.num_classes = int(cfg.num_classes)
        self.label_values = [float(v) for v in cfg.label_values]
        if len(self.label_values) != self.num_classes:
            raise DataError(
                f"model.label_values has {len(self.label_values)} gray values for "
                f"model.num_classes={self.num_classes}; give one per region."
            )
        self.resolution = int(cfg.resolution)
        self.latent_dim = int(cfg.latent_dim)
        self.generator = MapToCT(
            self.num_classes,
            self.resolution,
            self.latent_dim,
            int(cfg.noise_side),
            int(cfg.g_filters),
            int(cfg.g_max_filters),
            int(cfg.g_depth),
            float(cfg.negative_slope),
        )
        self.discriminator = MapCritic(
            self.num_classes,
            self.resolution,
            int(cfg.d_filters),
            int(cfg.d_max_filters),
            float(cfg.negative_slope),
        )

    # -- conditions ------------------------------------------------------------------------

    def class_map(self, condition: torch.Tensor) -> torch.Tensor:
        """A condition as int64 class indices ``(N, 1, H, W)`` (gray values decoded)."""
        cond = torch.as_tensor(condition)
        if cond.ndim != 4:
            raise DataError(
                f"a condition is a batch of maps (N, 1, H, W), got shape {tuple(cond.shape)}."
            )
        if cond.shape[1] == self.num_classes and self.num_classes > 1:
            return cond.argmax(dim=1, keepdim=True)
        if cond.shape[1] != 1:
            raise DataError(
                f"a condition has 1 channel (class indices or gray values) or "
                f"{self.num_classes} (one-hot), not {cond.shape[1]}."
            )
        rounded = cond.round()
        if not torch.equal(cond, rounded):
            raise DataError(
                "the condition is not a region map (it has non-integer values, e.g. a CT window "
                "was applied to it): pass class indices 0.."
                f"{self.num_classes - 1} or the gray values {self._grays()}; "
                "`zoo stylecgan generate` reads map images correctly."
            )
        values = rounded.long()
        if int(values.min()) >= 0 and int(values.max()) < self.num_classes:
            return values
        table = torch.tensor(self.label_values, device=cond.device)
        hits = values.unsqueeze(-1) == table.round().long()
        if not bool(hits.any(-1).all()):
            bad = torch.unique(values[~hits.any(-1)])[:6].tolist()
            raise DataError(
                f"map values {bad} are neither class indices 0..{self.num_classes - 1} nor the "
                f"gray values {self._grays()}."
            )
        return hits.float().argmax(-1)

    def _grays(self) -> str:
        return ", ".join(f"{v:g}" for v in self.label_values)

    def onehot(self, condition: torch.Tensor) -> torch.Tensor:
        index = self.class_map(condition).to(self.device)
        return F.one_hot(index[:, 0], self.num_classes).permute(0, 3, 1, 2).float()

    # -- generation -------------------------------------------------------------------------

    def sample(self, n, condition, generator):
        z = latent(condition.shape[0], self.latent_dim, self.device, generator)
        return self.generator(self.onehot(condition), z)

    # -- training -----------------------------------------------------------------------------

    def prepare_batch(self, batch: Batch, generator: torch.Generator | None = None) -> Batch:
        batch = super().prepare_batch(batch, generator)
        if "condition" not in batch and "label" in batch:
            batch["condition"] = batch["label"]
        if "condition" in batch:
            batch["condition"] = self.class_map(batch["condition"])
        return batch

    def fake_batch(self, batch: Batch, generator: torch.Generator | None = None) -> torch.Tensor:
        cond = batch["condition"]
        z = latent(cond.shape[0], self.latent_dim, self.device, generator)
        return self.generator(self.onehot(cond), z)

    def critic(self, images: torch.Tensor, batch: Batch) -> torch.Tensor:
        return self.discriminator(images, self.onehot(batch["condition"]))

    def example_batch(self, batch_size: int = 2) -> Batch:
        """Blocky random maps (every class present) with random slices and style slices."""
        size = self.resolution

        def maps() -> torch.Tensor:
            side = max(4, int(self.num_classes**0.5) + 1)
            coarse = torch.randint(self.num_classes, (batch_size, 1, side, side))
            coarse.view(batch_size, -1)[:, : self.num_classes] = torch.arange(self.num_classes)
            return F.interpolate(coarse.float(), size=(size, size), mode="nearest").long()

        def slices() -> torch.Tensor:
            return torch.rand(batch_size, 1, size, size) * 2 - 1

        return {
            "target": slices(),
            "condition": maps(),
            "style": slices(),
            "style_label": maps(),
        }


def build(cfg: Any) -> StyleCGAN:
    return StyleCGAN(cfg)
