"""``zoo generate``: synthetic images written as PNG, NIfTI or DICOM, with provenance."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from zoo_core.cli import cli
from zoo_core.cli.options import device_option, dtype_option
from zoo_core.cli.output import echo_json, stderr_console
from zoo_core.errors import ZooError

FORMATS = ("png", "nifti", "dicom")
#: ctx.meta key: (architecture name, its click options) once known from MODEL_ID.
ARCH_OPTIONS = "zoo.generate.architecture_options"


def _reserved(command: click.Command) -> set[str]:
    names = {"help", "-h", "--help"}
    for param in command.params:
        names |= {param.name or "", *param.opts, *param.secondary_opts}
    return names


def _positionals(command: click.Command, args: list[str]) -> list[str]:
    """Tokens that are not core options or their values: MODEL_ID is among them."""
    takes_value = {
        opt
        for p in command.params
        if isinstance(p, click.Option) and not p.is_flag and not p.count
        for opt in p.opts
    }
    found, skip = [], False
    for i, token in enumerate(args):
        if skip:
            skip = False
        elif token == "--":
            return found + list(args[i + 1 :])
        elif token.startswith("-") and len(token) > 1:
            skip = token in takes_value
        else:
            found.append(token)
    return found


class GenerateCommand(click.Command):
    """``zoo generate`` plus the options the model's architecture declares.

    The architecture is looked up from MODEL_ID before parsing (registered ids, checkpoints
    and model folders), so its options are parsed, checked and shown by ``--help`` like the
    core's; for models known only once loaded (Hub repo ids) unknown arguments are kept
    (``ignore_unknown_options``) and parsed after loading.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from zoo_core.generation.arch_options import architecture_of, architecture_options
        from zoo_core.registry import get_registry

        for ref in _positionals(self, args):
            arch_name = architecture_of(ref)
            if arch_name is not None:
                arch = get_registry().architecture(arch_name)
                ctx.meta[ARCH_OPTIONS] = (arch_name, architecture_options(arch, _reserved(self)))
                break
        return super().parse_args(ctx, args)

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        _, extra = ctx.meta.get(ARCH_OPTIONS, (None, []))
        return [*super().get_params(ctx), *extra]

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        arch_name, extra = ctx.meta.get(ARCH_OPTIONS, (None, []))
        for title, params in (
            ("Options", super().get_params(ctx)),
            (f"Options of the {arch_name} architecture", extra),
        ):
            records = [r for r in (p.get_help_record(ctx) for p in params) if r is not None]
            if records:
                with formatter.section(title):
                    formatter.write_dl(records)


@contextmanager
def _progress() -> Iterator[Any]:
    """A progress bar that also shows the time spent, and a second bar for work a model
    reports inside one call (:mod:`zoo_core.generation.progress`: a style adaptation), on
    stderr: stdout carries the result alone."""
    from rich.progress import Progress, TimeElapsedColumn

    from zoo_core.generation.progress import reporting

    inner: dict[str, Any] = {}
    columns = (*Progress.get_default_columns(), TimeElapsedColumn())
    with Progress(*columns, console=stderr_console()) as progress:

        def show(description: str, done: int, total: int) -> None:
            if description not in inner:
                inner[description] = progress.add_task(f"  {description}", total=total)
            progress.update(inner[description], completed=done, total=total)
            if done >= total:  # finished: make room for the next one
                progress.remove_task(inner.pop(description))

        with reporting(show):
            yield progress


@cli.command(
    "generate",
    cls=GenerateCommand,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("model_id")
@click.option("-n", "n", type=click.IntRange(min=1), help="Samples (per condition if conditional).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the samples, provenance.json and the montage into.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="[default: nifti for 3D models and NIfTI/DICOM conditions, else png]",
)
@click.option(
    "--condition",
    type=click.Path(exists=True, path_type=Path),
    help="Condition image: NIfTI, DICOM series folder or PNG, or a folder of them.",
)
@click.option(
    "--class",
    "classes",
    metavar="NAME",
    multiple=True,
    help="Class of a class-conditional model (cGAN, ACGAN), by name or index; repeat for "
    "several. -n samples of each [default: every class].",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Sample i uses (seed, i).")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--montage", is_flag=True, help="Also write montage.png, a grid of the samples.")
@device_option()
@dtype_option()
@click.option("--source", help="Where weights come from: 'hf' or 'dir:PATH' (default $ZOO_HUB).")
@click.option("--revision", help="Weights revision (commit, branch or tag).")
@click.option(
    "--untrained",
    is_flag=True,
    help="Use the freshly initialised architecture (no weights), initialised from --seed; "
    "recorded in the provenance.",
)
@click.option(
    "--allow-pickle",
    is_flag=True,
    help="Read a pickle checkpoint (.pt/.pth/.bin/.ckpt) you trust, with "
    "torch.load(weights_only=True); its config.yaml must lie beside it.",
)
@click.option(
    "--overlap",
    type=click.FloatRange(0, 1, max_open=True),
    default=None,
    help="Block overlap for whole-volume inference of block models "
    "[default: the model's inference_overlap, else 0.5].",
)
@click.option(
    "--tiling",
    type=click.Choice(["sliding", "blocks"]),
    default="sliding",
    show_default=True,
    help="Whole volumes through block models: overlapping blocks with blended seams, or the "
    "non-overlapping tiling papers split scans into (padded to whole blocks, no blending).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@click.option(
    "--margin",
    type=click.IntRange(min=0),
    default=None,
    help="Context voxels around each block of a block model, cropped off again: at the "
    "model's receptive radius, whole-volume output has no seams (costs ((block + 2 margin) / "
    "block)^3 the compute) [default: the model's inference_margin, else 0].",
)
def generate_command(
    model_id: str,
    n: int | None,
    out_dir: Path,
    fmt: str | None,
    condition: Path | None,
    classes: tuple[str, ...],
    seed: int,
    batch_size: int,
    montage: bool,
    device: str,
    dtype: str,
    source: str | None,
    revision: str | None,
    untrained: bool,
    allow_pickle: bool,
    overlap: float | None,
    tiling: str,
    margin: int | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Generate N synthetic images with MODEL_ID and write them to --out.

    Every file is marked as synthetic (PNG text chunk, NIfTI extension, DICOM ImageType
    DERIVED\\SECONDARY) and provenance.json records the model, weights sha256, seed,
    conditions and output units. Conditional models take --condition (class-conditional
    ones --class); block models (3D cGAN, 3D SRGAN) run over whole volumes block by block,
    2D models over volumes slice by slice (--batch-size slices at a time), and NIfTI outputs
    keep the condition's geometry.
    NIfTI/DICOM values are physical: in the condition's units, or in the units the model
    declares for its outputs (HU for MR -> CT translation). Architectures add their own
    options (a style image, a perturbation): `zoo generate MODEL_ID --help` lists them. With
    --montage each sample's row shows the condition, any extra input and the result.

    \b
    Examples:
      zoo generate radford-dcgan-mni152 -n 16 --out samples --montage
      zoo generate sanchez-srgan3d-mni152 --condition lowres.nii.gz --format nifti --out sr
      zoo generate beers-pggan-rop -n 4 --untrained --out /tmp/x
      zoo generate odena-acgan-mni152 --class white-matter-rich -n 8 --untrained --out wm
      zoo generate krishna-stylecgan-ct --condition seg.png --style style.png --perturb \\
        --out ct --montage
    """
    from zoo_core.api import load
    from zoo_core.generation.arch_options import architecture_options, parse_leftovers
    from zoo_core.generation.to_files import generate_to_files
    from zoo_core.io import PROVENANCE_FILE
    from zoo_core.registry import get_registry

    ctx = click.get_current_context()
    if model_id.startswith("-"):
        raise ZooError(f"{model_id!r} is not a model: put MODEL_ID before the model's options.")
    arch_name, declared = ctx.meta.get(ARCH_OPTIONS, (None, None))
    leftovers = list(ctx.args)
    if leftovers and declared is not None:  # known before loading: fail before any download
        parse_leftovers(model_id, arch_name, declared, leftovers)
    model = load(
        model_id,
        pretrained=not untrained,
        init_seed=seed if untrained else None,
        device=device,
        revision=revision,
        source=source,
        allow_pickle=allow_pickle,
        dtype=dtype,
    )
    if leftovers:  # an architecture known only now (a Hub repo id)
        arch_name = model.card.zoo.get("architecture") if model.card is not None else None
        arch = get_registry().architecture(arch_name) if arch_name else None
        declared = architecture_options(arch, _reserved(ctx.command)) if arch else []
        options.update(parse_leftovers(model_id, arch_name, declared, leftovers))
    extra: dict[str, Any] = {
        "command": "zoo generate",
        "untrained": untrained,
        "dtype": str(model.dtype).removeprefix("torch."),
    }
    if untrained:
        extra["note"] = "untrained: randomly initialised weights, not a trained model"
    with _progress() as progress:
        task: list[Any] = []

        def advance(done: int, total: int) -> None:
            if not task:
                task.append(progress.add_task("Generating", total=total))
            progress.update(task[0], completed=done)

        result = generate_to_files(
            model,
            out_dir,
            n=n,
            fmt=fmt,
            condition=condition,
            classes=classes,
            seed=seed,
            batch_size=batch_size,
            montage=montage,
            overlap=overlap,
            tiling=tiling,
            margin=margin,
            options=options,
            extra=extra,
            name=model_id,
            progress=advance,
        )
    if as_json:
        echo_json(
            {
                "model_id": model_id,
                "out_dir": out_dir,
                "format": result.format,
                "count": result.count,
                "files": result.files,
                "provenance": out_dir / PROVENANCE_FILE,
                "montage": result.montage,
            }
        )
    else:
        count, fmt = result.count, result.format
        click.echo(f"Wrote {count} synthetic sample(s) ({fmt}) and provenance to {out_dir}")
