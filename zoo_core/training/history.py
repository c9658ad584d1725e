"""Loss history: rows per logged step, written as CSV and plotted as PNG at the end."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from zoo_core.weights import atomic_path


class LossHistory:
    def __init__(self, rows: list[dict[str, Any]] | None = None):
        self.rows: list[dict[str, Any]] = list(rows or [])

    def add(self, step: int, values: dict[str, float]) -> None:
        self.rows.append({"step": step, **{k: float(v) for k, v in values.items()}})

    def columns(self) -> list[str]:
        names: list[str] = []
        for row in self.rows:
            names += [k for k in row if k not in names]
        return names

    def write_csv(self, path: Path) -> Path:
        columns = self.columns() or ["step"]
        with atomic_path(path) as tmp, open(tmp, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, restval="")
            writer.writeheader()
            writer.writerows(self.rows)
        return path

    def plot(self, path: Path, title: str) -> Path:
        """One line per logged loss against the step (Agg canvas: no display needed)."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        figure = Figure(figsize=(8, 4.5), dpi=100)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        steps = [row["step"] for row in self.rows]
        for column in self.columns():
            if column in ("step", "seconds"):
                continue
            values = [row.get(column, math.nan) for row in self.rows]
            axes.plot(steps, values, label=column, linewidth=1.2)
        axes.set_xlabel("generator step")
        axes.set_ylabel("loss")
        axes.set_title(title)
        axes.grid(alpha=0.3)
        if self.rows:
            axes.legend(loc="best", fontsize="small")
        figure.tight_layout()
        with atomic_path(path) as tmp:
            figure.savefig(tmp, format="png")
        return path
