"""The montage of a generation run: per sample, what went in beside what came out.

Samples arrive batch by batch while they are written, so the montage is collected as they
come and saved at the end; each row is one sample, its panels chosen by the model
(:meth:`zoo_core.GANModel.montage_panels`: the condition, a style image, the result), each
panel shown at the result's size and channel count so the grid lines up. At most
:data:`MONTAGE_MAX` samples are kept: a montage is for a look, not for every sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Samples shown in the montage at most.
MONTAGE_MAX = 64


def preview(sample: Any) -> Any:
    """A 3D sample ``(C, X, Y, Z)`` as its middle axial slice; 2D samples as they are."""
    return sample[..., sample.shape[-1] // 2] if sample.ndim == 4 else sample


def panel_like(panel: Any, result: Any) -> Any:
    """A montage panel ``(C, *S)`` shown at the size and channel count of the result tile."""
    import torch
    import torch.nn.functional as F

    panel = torch.as_tensor(preview(torch.as_tensor(panel).float().cpu()))
    result = torch.as_tensor(result)
    if tuple(panel.shape[1:]) != tuple(result.shape[1:]):
        panel = F.interpolate(panel[None], size=tuple(result.shape[1:]), mode="nearest")[0]
    if panel.shape[0] != result.shape[0]:
        gray = panel[:1] if panel.shape[0] == 1 else panel.mean(0, keepdim=True)
        panel = gray.expand(result.shape[0], *gray.shape[1:])
    return panel


@dataclass
class Montage:
    """Tiles of the first :data:`MONTAGE_MAX` samples, ``options`` being the architecture's
    generate options (a model may show its extra inputs)."""

    model: Any
    options: dict[str, Any] = field(default_factory=dict)
    limit: int = MONTAGE_MAX
    tiles: list[Any] = field(default_factory=list, init=False)
    labels: list[str] = field(default_factory=list, init=False)
    columns: int = field(default=1, init=False)
    shown: int = field(default=0, init=False)

    @property
    def full(self) -> bool:
        return self.shown >= self.limit

    def add(self, conditions: Any, samples: Any) -> None:
        """Each sample's panels (condition | extra inputs | result), conditions ``None`` for
        models that take none."""
        if self.full:
            return
        keep = min(len(samples), self.limit - self.shown)
        cond = None if conditions is None else conditions[:keep]
        panels = self.model.montage_panels(cond, samples[:keep], dict(self.options))
        self.columns = len(panels)
        for j in range(keep):
            result = preview(samples[j])
            for label, batch in panels:
                self.tiles.append(panel_like(batch[j], result).numpy())
                self.labels.append(f"{label} {self.shown + j}")
        self.shown += keep

    def save(
        self, path: Path, value_range: Sequence[float], channel_names: Sequence[str] | None
    ) -> Path | None:
        """``path`` as a PNG grid (one row a sample when there are several panels); None
        when no sample was added."""
        if not self.tiles:
            return None
        import numpy as np

        from zoo_core.io import save_montage

        rows = self.columns > 1
        return save_montage(
            np.stack(self.tiles),
            path,
            value_range=value_range,
            channel_names=channel_names,
            nrow=self.columns if rows else None,
            labels=self.labels if rows else None,
        )
