"""What a person watching the demo sees: a header per stage, its time, and the outputs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Short enough for an 80-column terminal's rule.
STAGES = (
    "Dataset: real MNI152 brain MRI",
    "Training: progressive GAN 4 -> 32 px",
    "Publish to a local hub, load by id",
    "Generate, montage, evaluate",
    "Outputs",
)


@dataclass
class StageClock:
    """Wall and CPU seconds of each stage (CPU counts this process: on a busy machine the
    wall clock says more about the neighbours than about the demo)."""

    seconds: dict[str, dict[str, float]] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.seconds[name] = {
                "wall_s": round(time.perf_counter() - wall, 2),
                "cpu_s": round(time.process_time() - cpu, 2),
            }


class Display:
    def __init__(self, console: Any) -> None:
        self.console = console

    def header(self, number: int) -> None:
        self.console.rule(f"[bold cyan]Step {number}/{len(STAGES)}[/] {STAGES[number - 1]}")

    def note(self, text: str) -> None:
        self.console.print(f"  {text}", highlight=False)

    def done(self, text: str, clock: StageClock, name: str) -> None:
        s = clock.seconds.get(name, {})
        timing = f" [dim]({s['wall_s']:.1f} s wall, {s['cpu_s']:.1f} s CPU)[/]" if s else ""
        self.console.print(f"  [green]✓[/] {text}{timing}", highlight=False)

    def outputs(self, rows: list[tuple[str, Path | str]]) -> None:
        from rich.table import Table

        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("output", no_wrap=True)
        table.add_column("where", overflow="fold")  # whole paths, folded, never cut
        for what, where in rows:
            table.add_row(what, str(where))
        self.console.print(table)
