"""``zoo generate``: synthetic images written as PNG, NIfTI or DICOM, with provenance."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from zoo_core.cli import cli
from zoo_core.cli.options import device_option
from zoo_core.cli.output import echo_json, stderr_console
from zoo_core.errors import ZooError

FORMATS = ("png", "nifti", "dicom")
#: Samples shown in the montage at most.
MONTAGE_MAX = 64
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
        from zoo_core.generation.options import architecture_of, architecture_options
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


def _condition_paths(path: Path) -> list[Path]:
    """One condition (file or DICOM series folder) or a folder of them."""
    from zoo_core.data.readers import image_format, list_images

    if path.is_file():
        return [path]
    if any(f.is_file() and image_format(f) == "dicom" for f in path.iterdir()):
        return [path]
    return list_images(path)


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Prefix a ZooError about one condition with its file, unless the message names it."""
    try:
        yield
    except ZooError as exc:
        if path.name in str(exc):
            raise
        raise ZooError(f"{path}: {exc}") from exc


def _is_medical(path: Path) -> bool:
    """NIfTI files and DICOM series: outputs of such conditions keep their geometry."""
    from zoo_core.data.readers import image_format

    return image_format(path) in ("nifti", "dicom")


def _intensity_record(declared: Any, template: Any, fmt: str) -> dict[str, Any]:
    """What the provenance says about the units of the written values."""
    if fmt == "png":
        return {"declared_by": "png", "kind": "model value range"}
    if declared is not None:
        return {"declared_by": "model", **declared.to_dict()}
    if template is not None:
        return {"declared_by": "condition", "kind": template.kind}
    return {"declared_by": "none", "kind": "none"}


def _preview(sample: Any) -> Any:
    return sample[..., sample.shape[-1] // 2] if sample.ndim == 4 else sample


def _panel_like(panel: Any, result: Any) -> Any:
    """A montage panel ``(C, *S)`` shown at the size and channel count of the result tile."""
    import torch
    import torch.nn.functional as F

    panel = torch.as_tensor(_preview(torch.as_tensor(panel).float().cpu()))
    result = torch.as_tensor(result)
    if tuple(panel.shape[1:]) != tuple(result.shape[1:]):
        panel = F.interpolate(panel[None], size=tuple(result.shape[1:]), mode="nearest")[0]
    if panel.shape[0] != result.shape[0]:
        gray = panel[:1] if panel.shape[0] == 1 else panel.mean(0, keepdim=True)
        panel = gray.expand(result.shape[0], *gray.shape[1:])
    return panel


def _read_labels(array: Any, model: Any) -> Any:
    """A label-map condition as read: no intensity scaling, one channel for an RGB drawing of
    a gray map, nearest-neighbour resized to the model's ``data.spatial_size``."""
    import numpy as np
    import torch

    from zoo_core.data import fit_to_size

    if (
        array.shape[0] in (3, 4)
        and np.array_equal(array[0], array[1])
        and np.array_equal(array[0], array[2])
    ):
        array = array[:1]
    data = getattr(model.config, "data", None) if model.config is not None else None
    size = [int(v) for v in (getattr(data, "spatial_size", None) or [])]
    x = torch.from_numpy(np.ascontiguousarray(array))
    if size and len(size) == x.ndim - 1 and list(x.shape[1:]) != size:
        mode = str(getattr(data, "size_mode", "resize") or "resize")
        x = fit_to_size(x, size, mode, label=True, pad_value=0.0)
    return x


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


def class_choices(model: Any, requested: tuple[str, ...]) -> list[tuple[int, str]]:
    """(index, name) of the classes asked for by name or index: every class by default.

    Names are those of the card's first input's ``label_maps`` (``{"0": "grey-matter-rich",
    ...}``); a model whose card names none is addressed by index.
    """
    inputs = (model.card.zoo.get("inputs") if model.card is not None else None) or [{}]
    names = {int(k): str(v) for k, v in (inputs[0].get("label_maps") or {}).items()}
    count = int(getattr(model, "num_classes", 0) or len(names))
    if count < 1:
        raise ZooError("the model declares no classes (num_classes, or label_maps in its card).")
    table = [(i, names.get(i, str(i))) for i in range(count)]
    if not requested:
        return table
    by_name = {name: (i, name) for i, name in table} | {str(i): (i, n) for i, n in table}
    unknown = [r for r in requested if r not in by_name]
    if unknown:
        known = ", ".join(f"{i} ({n})" if n != str(i) else n for i, n in table)
        raise ZooError(f"unknown class {unknown[0]!r}; this model's classes: {known}.")
    return [by_name[r] for r in requested]


def _option_record(value: Any) -> Any:
    """Options in the provenance: files by name and sha256, other values as they are."""
    from zoo_core.io.provenance import file_digest

    if isinstance(value, Path):
        return file_digest(value) if value.exists() else str(value)
    if isinstance(value, tuple | list):
        return [_option_record(v) for v in value]
    return value


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
@click.option("--source", help="Where weights come from: 'hf' or 'dir:PATH' (default $ZOO_HUB).")
@click.option("--revision", help="Weights revision (commit, branch or tag).")
@click.option(
    "--untrained",
    is_flag=True,
    help="Use the freshly initialised architecture (no weights); recorded in the provenance.",
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
    import numpy as np
    import torch

    from zoo_core import io as zio
    from zoo_core.api import load
    from zoo_core.data.intensity import intensity_transform
    from zoo_core.generation import (
        block_size_of,
        conditions_used,
        derive_seed,
        generate,
        output_affine,
        output_intensity,
        output_modality,
    )
    from zoo_core.generation.options import architecture_options, parse_leftovers
    from zoo_core.io.common import safe_suffix
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
        device=device,
        revision=revision,
        source=source,
        allow_pickle=allow_pickle,
    )
    if leftovers:  # an architecture known only now (a Hub repo id)
        arch_name = model.card.zoo.get("architecture") if model.card is not None else None
        arch = get_registry().architecture(arch_name) if arch_name else None
        declared = architecture_options(arch, _reserved(ctx.command)) if arch else []
        options.update(parse_leftovers(model_id, arch_name, declared, leftovers))
    if overlap is None:
        overlap = float(getattr(model, "inference_overlap", 0.5))
    if margin is None:
        margin = int(getattr(model, "inference_margin", 0))
    kind = getattr(model, "condition_kind", "image")
    if classes and kind != "class":
        raise ZooError(f"{model_id} takes no classes; --class is for class-conditional models.")
    paths = _condition_paths(condition) if model.conditional and condition is not None else []
    if fmt is None:  # PNG cannot hold volumes, and medical conditions keep their geometry
        dims = model.card.zoo.get("dims") if model.card is not None else None
        fmt = "nifti" if dims == 3 or (paths and _is_medical(paths[0])) else "png"
    value_range, channel_names = zio.output_spec(model)
    declared = output_intensity(model)  # None: outputs are in the condition's units
    # Conditions are always normalised as in training; the inverse of that is the outputs'
    # scaling only when the model declares none (same-domain models).
    labels = kind == "labels"
    template = None
    if model.conditional and model.config is not None and not labels:
        template = intensity_transform(model.config.data)
    out_dir.mkdir(parents=True, exist_ok=True)
    extra = {
        "command": "zoo generate",
        "format": fmt,
        "untrained": untrained,
        "output_intensity": _intensity_record(declared, template, fmt),
    }
    if block_size_of(model) is not None:  # how whole volumes are cut into blocks
        extra["volume_inference"] = {"overlap": overlap, "tiling": tiling, "margin": margin}
    if options:
        extra["options"] = {k: _option_record(v) for k, v in sorted(options.items())}
    if untrained:
        extra["note"] = "untrained: randomly initialised weights, not a trained model"
    tiles: list[Any] = []
    tile_labels: list[str] = []
    written: list[Path] = []
    columns = 1
    shown = 0

    def show(condition_batch: torch.Tensor | None, samples: torch.Tensor) -> None:
        """Add each sample's panels (condition | extra inputs | result) to the montage."""
        nonlocal columns, shown
        if not montage or shown >= MONTAGE_MAX:
            return
        keep = min(len(samples), MONTAGE_MAX - shown)
        cond = None if condition_batch is None else condition_batch[:keep]
        panels = model.montage_panels(cond, samples[:keep], dict(options))
        columns = len(panels)
        for j in range(keep):
            result = _preview(samples[j])
            for label, batch in panels:
                tiles.append(_panel_like(batch[j], result).numpy())
                tile_labels.append(f"{label} {shown + j}")
        shown += keep

    modality = output_modality(
        declared, model.card.zoo.get("modality") if model.card is not None else None
    )
    dicom_kw = {"modality": modality} if fmt == "dicom" and modality in ("CT", "MR") else {}

    def write(sample: torch.Tensor, stem: Path, record: dict, **geometry: Any) -> None:
        array = sample.numpy()
        if fmt == "png" and array.ndim == 4:
            raise ZooError(
                f"{model_id} made a volume {tuple(array.shape[1:])}: PNG cannot hold it; "
                "pass --format nifti or --format dicom."
            )
        if fmt != "png" and declared is not None:
            geometry["intensity_inverse"] = declared.inverse
        files = zio.write_sample(
            array,
            stem,
            fmt,
            value_range=value_range,
            channel_names=channel_names,
            provenance=record,
            **dicom_kw,
            **geometry,
        )
        written.extend(files)

    if model.conditional and kind == "class":
        if condition is not None:
            raise ZooError(
                f"{model_id} is conditioned on a class, not an image: pass --class NAME "
                "(or leave it out for every class)."
            )
        chosen = class_choices(model, classes)
        per_class = n or 1
        extra["classes"] = [{"index": index, "name": name} for index, name in chosen]
        record = zio.provenance_record(model, seed=seed, extra=extra)
        zio.write_provenance(out_dir, record)
        with _progress() as progress:
            task = progress.add_task("Generating", total=len(chosen) * per_class)
            for k, (index, name) in enumerate(chosen):
                samples = generate(
                    model,
                    n=per_class,
                    condition=torch.tensor([index]),
                    seed=derive_seed(seed, k),
                    batch_size=batch_size,
                    options=options,
                )
                show(None, samples)
                for j, sample in enumerate(samples):
                    write(sample, out_dir / f"{safe_suffix(name)}_{j:05d}", record)
                    progress.advance(task)
        count = len(chosen) * per_class
    elif model.conditional:
        if condition is None:
            raise ZooError(
                f"{model_id} is conditional: pass --condition PATH (an image, a DICOM series "
                "folder, or a folder of them)."
            )
        from zoo_core.data.readers import read_image, strip_suffix

        record = zio.provenance_record(
            model, seed=seed, conditions=[str(p) for p in paths], extra=extra
        )
        zio.write_provenance(out_dir, record)
        transform = template
        per_condition = n or 1
        with _progress() as progress:
            task = progress.add_task("Generating", total=len(paths) * per_condition)
            for k, path in enumerate(paths):
                condition_seed = derive_seed(seed, k)
                with _naming(path):
                    array, meta = read_image(path)
                    fitted = transform.fit(array) if transform is not None else None
                    if labels:
                        x = _read_labels(array, model)
                    else:
                        x = torch.as_tensor(fitted.forward(array) if fitted is not None else array)
                    samples = generate(
                        model,
                        n=per_condition,
                        condition=x.float()[None],
                        seed=condition_seed,
                        batch_size=batch_size,
                        overlap=overlap,
                        tiling=tiling,
                        margin=margin,
                        options=options,
                    )
                if montage and shown < MONTAGE_MAX:
                    used = conditions_used(model, x.float()[None], per_condition,
                                           condition_seed, options=options)  # fmt: skip
                    show(used, samples)
                geometry: dict[str, Any] = {}
                if fmt != "png":
                    geometry["affine"] = (
                        output_affine(meta["affine"], x.shape[1:], samples.shape[2:])
                        if samples.ndim == x.ndim + 1
                        else None
                    )
                    if fitted is not None and declared is None:
                        geometry["intensity_inverse"] = fitted.inverse
                for j, sample in enumerate(samples):
                    stem = out_dir / f"{strip_suffix(path.name)}_{j:03d}"
                    write(sample, stem, record, **geometry)
                    progress.advance(task)
        count = len(paths) * per_condition
    else:
        if condition is not None:
            raise ZooError(f"{model_id} is unconditional: leave out --condition.")
        if n is None:
            raise ZooError("pass -n N, the number of samples to generate.")
        record = zio.provenance_record(model, seed=seed, conditions=None, extra=extra)
        zio.write_provenance(out_dir, record)
        with _progress() as progress:
            task = progress.add_task("Generating", total=n)
            for start in range(0, n, batch_size):
                size = min(batch_size, n - start)
                samples = generate(model, n=size, seed=seed, first_index=start, options=options)
                show(None, samples)
                for j, sample in enumerate(samples):
                    write(sample, out_dir / f"sample_{start + j:05d}", record)
                    progress.advance(task)
        count = n
    montage_path = out_dir / "montage.png" if montage and tiles else None
    if montage_path is not None:
        zio.save_montage(
            np.stack(tiles),
            montage_path,
            value_range=value_range,
            channel_names=channel_names,
            nrow=columns if columns > 1 else None,
            labels=tile_labels if columns > 1 else None,
        )
    if as_json:
        echo_json(
            {
                "model_id": model_id,
                "out_dir": out_dir,
                "format": fmt,
                "count": count,
                "files": written,
                "provenance": out_dir / zio.PROVENANCE_FILE,
                "montage": montage_path,
            }
        )
    else:
        click.echo(f"Wrote {count} synthetic sample(s) ({fmt}) and provenance to {out_dir}")
