"""A rich progress bar with the latest losses, the step rate and the ETA, on stderr.

It is drawn only where stderr is a terminal (see :func:`stderr_is_terminal`); elsewhere (a
batch job's log file, a pipe) the trainer logs one line every ``train.log_every`` steps.
"""

from __future__ import annotations

from typing import Any


def stderr_is_terminal() -> bool:
    """Whether a bar on stderr would be seen as one: rich's test, which honours
    ``TTY_COMPATIBLE=1`` and ``FORCE_COLOR`` for terminals it cannot detect."""
    from rich.console import Console

    return Console(stderr=True).is_terminal


class ProgressBar:
    def __init__(self, total: int, start: int, description: str, enabled: bool):
        self._progress: Any = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=16),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(compact=True),
            TextColumn("{task.fields[losses]}"),
            console=Console(stderr=True),
        )
        self._task = self._progress.add_task(description, total=total, completed=start,
                                             losses="", rate="")  # fmt: skip
        self._progress.start()

    def update(self, step: int, losses: dict[str, float]) -> None:
        if self._progress is None:
            return
        task = self._progress.tasks[0]
        rate = f"{task.speed:.2f} step/s" if task.speed else ""
        text = " ".join(f"{k}={v:.3g}" for k, v in losses.items())
        self._progress.update(self._task, completed=step, losses=text, rate=rate)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
