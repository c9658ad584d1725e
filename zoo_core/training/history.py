"""Loss history: rows per logged step, appended to a CSV as training goes and plotted as
PNG at the end."""

from __future__ import annotations

import csv
import io
import math
import warnings
from pathlib import Path
from typing import Any

from zoo_core.errors import MissingExtraError
from zoo_core.extras import import_optional
from zoo_core.weights import atomic_path


class LossHistory:
    def __init__(self, rows: list[dict[str, Any]] | None = None):
        self.rows: list[dict[str, Any]] = list(rows or [])
        #: (file, its header, rows in it) after :meth:`append_csv`; None: not written yet.
        self._on_disk: tuple[Path, list[str], int] | None = None

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

    def append_csv(self, path: Path) -> Path:
        """Add the rows not yet in ``path`` to it, so that a run killed at any moment leaves
        every row logged so far on disk (a crash costs at most the line being written).

        The first call rewrites the file atomically from all rows, which also drops rows a
        killed run logged after its last checkpoint when resuming; so does a row with a
        column the header lacks (a progressive stage's new loss). Later calls append, each
        in one ``write`` of whole lines.
        """
        path = Path(path)
        columns = self.columns() or ["step"]
        on_disk = self._on_disk
        if on_disk is None or on_disk[0] != path or on_disk[1] != columns:
            self.write_csv(path)
            self._on_disk = (path, columns, len(self.rows))
            return path
        new = self.rows[on_disk[2] :]
        if new:
            text = io.StringIO()
            csv.DictWriter(text, fieldnames=columns, restval="").writerows(new)
            with open(path, "a", newline="") as handle:
                handle.write(text.getvalue())
            self._on_disk = (path, columns, len(self.rows))
        return path

    def plot(self, path: Path, title: str) -> Path | None:
        """One line per logged loss against the step (Agg canvas: no display needed).

        Without matplotlib (the ``zoo-core[plots]`` extra) the plot is skipped with a warning
        and None is returned: losses.csv holds the same numbers.
        """
        try:
            backend = import_optional(
                "matplotlib.backends.backend_agg",
                extra="zoo-core[plots]",
                needed_for=f"the loss plot {path.name}",
            )
            from matplotlib.figure import Figure
        except MissingExtraError as exc:
            warnings.warn(f"{exc} Skipped; the losses are in the CSV file.", stacklevel=2)
            return None

        figure = Figure(figsize=(8, 4.5), dpi=100)
        backend.FigureCanvasAgg(figure)
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
