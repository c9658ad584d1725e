"""``zoo train``: train a registered model on your data (also under torchrun)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from zoo_core.cli import cli
from zoo_core.cli.options import device_option, dtype_option
from zoo_core.cli.output import echo_json


@cli.command("train")
@click.argument("model_id")
@click.option(
    "--data",
    "data",
    required=True,
    type=click.Path(exists=True),
    help="Folder or file of training data (see the model card for its layout).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Output folder (default: runs/MODEL_ID).",
)
@click.option("--resume", is_flag=True, help="Continue from the latest checkpoint in --out.")
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    default=None,
    help="Generator updates to run (same as train.steps=N).",
)
@device_option()
@dtype_option(
    default=None,
    show_default=False,
    help="Training precision, the same as train.precision=...: bf16 autocast on CPUs with "
    "AMX or AVX512-BF16 and on GPUs, fp16 with a gradient scaler on GPUs without bf16, auto "
    "the fastest the device does well (weights and optimiser stay float32) [default: the "
    "config's train.precision].",
)
@click.option(
    "--no-progress",
    is_flag=True,
    help="No progress bar: a line on stderr every train.log_every steps instead (as when "
    "stderr is not a terminal).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the final checkpoint as JSON.")
@click.argument("overrides", nargs=-1)
def train_command(
    model_id: str,
    data: str,
    out_dir: str | None,
    resume: bool,
    steps: int | None,
    device: str,
    dtype: str | None,
    no_progress: bool,
    as_json: bool,
    overrides: tuple[str, ...],
) -> None:
    """Train MODEL_ID on --data, with dotlist OVERRIDES (train.batch_size=8 ...).

    Checkpoints go to OUT/checkpoints every train.checkpoint_every steps, at the end and on
    Ctrl-C; a row is added to OUT/losses.csv every train.log_every steps and OUT/losses.png
    is drawn at the end. For several GPUs or nodes run it under torchrun:
    torchrun --nproc_per_node 4 "$(which zoo)" train ...
    """  # fmt: skip
    from zoo_core.training import TrainingInterrupted, train

    overrides_list = list(overrides)
    if steps is not None:
        overrides_list.append(f"train.steps={steps}")
    if dtype is not None:
        overrides_list.append(f"train.precision={dtype.lower()}")
    try:
        final = train(model_id, data, overrides_list, out_dir, resume, device=device,
                      progress=not no_progress)  # fmt: skip
    except TrainingInterrupted as exc:
        click.secho(str(exc), fg="yellow", err=True)
        sys.exit(130)
    if os.environ.get("RANK", "0") != "0":  # under torchrun, one process reports
        return
    run_dir = Path(out_dir) if out_dir is not None else final.parent.parent
    if as_json:
        from zoo_core import checkpoint

        losses = run_dir / "losses.csv"
        echo_json(
            {
                "model_id": model_id,
                "checkpoint": final,
                "step": checkpoint.read_info(final)["state"]["step"],
                "out_dir": run_dir,
                "losses_csv": losses if losses.is_file() else None,
            }
        )
        return
    click.echo(f"Final checkpoint: {final}")
    click.echo(f"Publish it with: zoo push {final} --repo-id ORG/NAME", err=True)
