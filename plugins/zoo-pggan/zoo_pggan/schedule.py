"""The progressive schedule as a pure function of the step, so resuming is exact by design.

Each resolution gets ``fade_in_steps + stabilise_steps`` batches (the paper: 20,000 + 20,000):
first the new block fades in (alpha rises linearly from 0 to 1), then it trains alone. The
first resolution has nothing to fade from and trains for the whole 40,000. After the last
resolution's share the model stays fully grown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def pairs(table: Any, what: str) -> list[tuple[int, int]]:
    """``[[resolution, value], ...]`` from a config, sorted by resolution."""
    out = []
    for entry in table:
        entry = list(entry)
        if len(entry) != 2:
            raise ValueError(f"{what} entries are [resolution, value] pairs, not {entry}")
        out.append((int(entry[0]), int(entry[1])))
    return sorted(out)


@dataclass(frozen=True)
class Phase:
    """Where training is at one step."""

    level: int
    alpha: float
    resolution: int
    batch_size: int

    @property
    def fading(self) -> bool:
        return self.alpha < 1.0


@dataclass(frozen=True)
class ProgressiveSchedule:
    resolutions: tuple[int, ...]
    start_level: int
    fade_in_steps: int
    stabilise_steps: int
    batch_size: int
    batch_size_at: tuple[tuple[int, int], ...] = ()

    @classmethod
    def from_config(
        cls, resolutions: list[int], start_level: int, train_cfg: Any
    ) -> ProgressiveSchedule:
        if train_cfg.fade_in_steps < 1 or train_cfg.stabilise_steps < 0:
            raise ValueError("train.fade_in_steps must be >= 1 and train.stabilise_steps >= 0")
        return cls(
            tuple(resolutions),
            int(start_level),
            int(train_cfg.fade_in_steps),
            int(train_cfg.stabilise_steps),
            int(train_cfg.batch_size),
            tuple(pairs(train_cfg.batch_size_at, "train.batch_size_at")),
        )

    @property
    def steps_per_level(self) -> int:
        return self.fade_in_steps + self.stabilise_steps

    @property
    def total_steps(self) -> int:
        """Steps until the last resolution has had its full share."""
        return (len(self.resolutions) - self.start_level) * self.steps_per_level

    def batch_size_for(self, resolution: int) -> int:
        size = self.batch_size
        for key, value in self.batch_size_at:
            if resolution >= key:
                size = value
        return size

    def level_start(self, level: int) -> int:
        """The step at which ``level`` starts (fading in)."""
        return (level - self.start_level) * self.steps_per_level

    def phase(self, step: int) -> Phase:
        last = len(self.resolutions) - 1
        level = min(self.start_level + step // self.steps_per_level, last)
        offset = step - self.level_start(level)
        if level == self.start_level or offset >= self.fade_in_steps:
            alpha = 1.0
        else:
            alpha = offset / self.fade_in_steps
        resolution = self.resolutions[level]
        return Phase(level, alpha, resolution, self.batch_size_for(resolution))
