"""``zoo demo``: the zoo's main job, offline on a CPU in a few minutes.

Only click is imported at module level; the pipeline (torch) is imported when the command
runs, so ``zoo --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from zoo_demo.settings import DEFAULT_SAMPLES, DEFAULT_STEPS


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Folder for the dataset, training run, hub, samples and metrics.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (progress: stderr).")
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    default=DEFAULT_STEPS,
    show_default=True,
    help="Training steps (shared equally by the 4, 8, 16 and 32 px resolutions).",
)
@click.option(
    "--samples",
    type=click.IntRange(min=2),
    default=DEFAULT_SAMPLES,
    show_default=True,
    help="Samples to generate and evaluate.",
)
@click.option(
    "--eval-real",
    type=click.IntRange(min=2),
    default=None,
    help="Real slices FID/KID compare with, evenly spaced (default: all 61).",
)
@click.option("--force", is_flag=True, help="Start over: delete what an earlier run left in --out.")
def demo(
    out_dir: Path, as_json: bool, steps: int, samples: int, eval_real: int | None, force: bool
) -> None:
    """Train, publish, load, generate and evaluate a GAN, offline, in minutes on a CPU.

    \b
    1. builds real training data from MNI152 brain MRI shipped inside nilearn's wheel
    2. trains beers-pggan-mni152 (progressive GAN, 4 -> 32 px) with the normal trainer
    3. publishes it with its model card to a local hub (OUT/hub), loads it back by id
    4. writes samples as PNG and NIfTI with provenance, a montage, FID/KID and more
    5. prints where each output is (--json: one JSON object)

    A second run reuses the dataset, a finished training run with the same settings and an
    identical published commit; --force starts over.

    \b
    Examples:
      zoo demo
      zoo demo --out /tmp/demo --json
    """
    from zoo_demo.pipeline import run_demo

    if as_json:
        # Everything a person reads (headers, progress bars, the trainer's messages) goes to
        # stderr, so stdout holds exactly one JSON object.
        from rich.console import Console

        with contextlib.redirect_stdout(sys.stderr):
            result = run_demo(
                out_dir,
                steps=steps,
                samples=samples,
                eval_real=eval_real,
                force=force,
                console=Console(stderr=True),
            )
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        run_demo(out_dir, steps=steps, samples=samples, eval_real=eval_real, force=force)
