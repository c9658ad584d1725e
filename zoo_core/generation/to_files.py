"""Generate with a model and write every sample to files: what ``zoo generate`` does.

:func:`generate_to_files` takes a loaded model and what the user asked for (a count, classes
or condition files, a format, a seed) and leaves a folder of samples, ``provenance.json``
and optionally ``montage.png``. The three kinds of model differ only in what one step of
the run draws: unconditional models ``batch_size`` samples at a time, class-conditional
ones ``n`` of each class, conditional ones ``n`` of each condition file (read, normalised
and, for volumes, given back their geometry); everything after that, writing, the montage
and progress, is one loop. Seeds follow :func:`zoo_core.generate`: sample ``i`` of a run
depends only on ``(seed, i)``, and the ``k``-th class or condition uses
``derive_seed(seed, k)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoo_core.errors import ZooError
from zoo_core.generation.writer import SampleWriter

#: Called with (samples written, samples in the run), first with 0 before any is drawn.
Progress = Callable[[int, int], None]

#: One step of a run: the samples, their file stems, a function giving the conditions to
#: show in the montage (None: none), and the geometry of their files.
Step = tuple[Any, list[str], Callable[[], Any] | None, dict[str, Any]]


@dataclass
class GeneratedFiles:
    """What :func:`generate_to_files` wrote."""

    out_dir: Path
    format: str
    count: int
    provenance: Path
    files: list[Path] = field(default_factory=list)
    montage: Path | None = None


def intensity_record(declared: Any, template: Any, fmt: str) -> dict[str, Any]:
    """What the provenance says about the units of the written values."""
    if fmt == "png":
        return {"declared_by": "png", "kind": "model value range"}
    if declared is not None:
        return {"declared_by": "model", **declared.to_dict()}
    if template is not None:
        return {"declared_by": "condition", "kind": template.kind}
    return {"declared_by": "none", "kind": "none"}


def option_record(value: Any) -> Any:
    """Options in the provenance: files by name and sha256, other values as they are."""
    from zoo_core.io.provenance import file_digest

    if isinstance(value, Path):
        return file_digest(value) if value.exists() else str(value)
    if isinstance(value, tuple | list):
        return [option_record(v) for v in value]
    return value


def generate_to_files(
    model: Any,
    out_dir: str | Path,
    *,
    n: int | None = None,
    fmt: str | None = None,
    condition: Path | None = None,
    classes: Sequence[str] = (),
    seed: int = 0,
    batch_size: int = 8,
    montage: bool = False,
    overlap: float | None = None,
    tiling: str = "sliding",
    margin: int | None = None,
    options: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    name: str | None = None,
    progress: Progress | None = None,
) -> GeneratedFiles:
    """Write ``n`` samples (of each class or ``condition`` file for conditional models).

    ``fmt`` defaults to NIfTI for 3D models and NIfTI/DICOM conditions, else PNG;
    ``overlap`` and ``margin`` (whole volumes through block models) to the model's
    ``inference_overlap`` and ``inference_margin``. ``options`` are the architecture's own
    generate options, ``extra`` more fields for the provenance record, ``name`` how errors
    name the model (default its id).
    """
    from zoo_core.data.intensity import intensity_transform
    from zoo_core.generation.conditions import condition_paths, is_medical
    from zoo_core.generation.draw import block_size_of
    from zoo_core.generation.output_units import output_intensity
    from zoo_core.generation.panels import Montage

    name = name or model.model_id or type(model).__name__
    options = dict(options or {})
    out_dir = Path(out_dir)
    if overlap is None:
        overlap = float(getattr(model, "inference_overlap", 0.5))
    if margin is None:
        margin = int(getattr(model, "inference_margin", 0))
    kind = getattr(model, "condition_kind", "image")
    if classes and kind != "class":
        raise ZooError(f"{name} takes no classes; --class is for class-conditional models.")
    paths = condition_paths(condition) if model.conditional and condition is not None else []
    if fmt is None:  # PNG cannot hold volumes, and medical conditions keep their geometry
        dims = model.card.zoo.get("dims") if model.card is not None else None
        fmt = "nifti" if dims == 3 or (paths and is_medical(paths[0])) else "png"
    # Conditions are always normalised as in training; the inverse of that is the outputs'
    # scaling only when the model declares none (same-domain models).
    template = None
    if model.conditional and model.config is not None and kind != "labels":
        template = intensity_transform(model.config.data)
    out_dir.mkdir(parents=True, exist_ok=True)
    record = {
        **(extra or {}),
        "format": fmt,
        "output_intensity": intensity_record(output_intensity(model), template, fmt),
    }
    if block_size_of(model) is not None:  # how whole volumes are cut into blocks
        record["volume_inference"] = {"overlap": overlap, "tiling": tiling, "margin": margin}
    if options:
        record["options"] = {k: option_record(v) for k, v in sorted(options.items())}
    common = {"seed": seed, "batch_size": batch_size, "options": options}
    conditions: list[str] | None = None
    if model.conditional and kind == "class":
        steps, total = _class_steps(model, name, n, condition, classes, record, **common)
    elif model.conditional:
        if condition is None:
            raise ZooError(
                f"{name} is conditional: pass --condition PATH (an image, a DICOM series "
                "folder, or a folder of them)."
            )
        conditions = [str(p) for p in paths]
        volume = {"overlap": overlap, "tiling": tiling, "margin": margin}
        steps = _condition_steps(model, paths, n or 1, template, fmt, montage, volume, **common)
        total = len(paths) * (n or 1)
    else:
        if condition is not None:
            raise ZooError(f"{name} is unconditional: leave out --condition.")
        if n is None:
            raise ZooError("pass -n N, the number of samples to generate.")
        steps, total = _sample_steps(model, n, **common), n
    writer = SampleWriter(model, out_dir, fmt, seed=seed, conditions=conditions, extra=record,
                          name=name)  # fmt: skip
    shown = Montage(model, options) if montage else None
    done = 0
    if progress is not None:
        progress(done, total)
    for samples, stems, used, geometry in steps:
        if shown is not None and not shown.full:
            shown.add(used() if used is not None else None, samples)
        for sample, stem in zip(samples, stems, strict=True):
            writer.write(sample, stem, **geometry)
            done += 1
            if progress is not None:
                progress(done, total)
    montage_path = None
    if shown is not None:
        montage_path = shown.save(out_dir / "montage.png", writer.value_range, writer.channel_names)
    return GeneratedFiles(out_dir, fmt, total, writer.provenance, writer.files, montage_path)


def _sample_steps(
    model: Any, n: int, *, seed: int, batch_size: int, options: dict[str, Any]
) -> Iterator[Step]:
    """Unconditional: ``batch_size`` samples a step, numbered across the run."""
    from zoo_core.generation.draw import generate

    for start in range(0, n, batch_size):
        size = min(batch_size, n - start)
        samples = generate(model, n=size, seed=seed, first_index=start, options=options)
        yield samples, [f"sample_{start + j:05d}" for j in range(size)], None, {}


def _class_steps(
    model: Any,
    name: str,
    n: int | None,
    condition: Path | None,
    classes: Sequence[str],
    record: dict[str, Any],
    *,
    seed: int,
    batch_size: int,
    options: dict[str, Any],
) -> tuple[Iterator[Step], int]:
    """Class-conditional: ``n`` samples of each class a step (checked and recorded now)."""
    import torch

    from zoo_core.generation.conditions import class_choices
    from zoo_core.generation.draw import generate
    from zoo_core.io.common import safe_suffix
    from zoo_core.seeds import derive_seed

    if condition is not None:
        raise ZooError(
            f"{name} is conditioned on a class, not an image: pass --class NAME "
            "(or leave it out for every class)."
        )
    chosen = class_choices(model, classes)
    per_class = n or 1
    record["classes"] = [{"index": index, "name": label} for index, label in chosen]

    def steps() -> Iterator[Step]:
        for k, (index, label) in enumerate(chosen):
            samples = generate(
                model,
                n=per_class,
                condition=torch.tensor([index]),
                seed=derive_seed(seed, k),
                batch_size=batch_size,
                options=options,
            )
            yield samples, [f"{safe_suffix(label)}_{j:05d}" for j in range(len(samples))], None, {}

    return steps(), len(chosen) * per_class


def _condition_steps(
    model: Any,
    paths: Sequence[Path],
    per_condition: int,
    template: Any,
    fmt: str,
    montage: bool,
    volume: dict[str, Any],
    *,
    seed: int,
    batch_size: int,
    options: dict[str, Any],
) -> Iterator[Step]:
    """Conditional: ``per_condition`` samples of each condition file a step, with the file's
    geometry and, for models that declare no output units, its normalisation undone."""
    import torch

    from zoo_core.data.readers import read_image, strip_suffix
    from zoo_core.generation.conditions import naming, read_labels
    from zoo_core.generation.draw import conditions_used, generate
    from zoo_core.generation.volume import output_affine
    from zoo_core.seeds import derive_seed

    for k, path in enumerate(paths):
        condition_seed = derive_seed(seed, k)
        with naming(path):
            array, meta = read_image(path)
            fitted = template.fit(array) if template is not None else None
            if model.condition_kind == "labels":
                x = read_labels(array, model)
            else:
                x = torch.as_tensor(fitted.forward(array) if fitted is not None else array)
            batch = x.float()[None]
            read = model.condition_options(fitted) if fitted is not None else {}
            scan_options = {**read, **options}  # with what the model reads from the scan's fit
            samples = generate(
                model,
                n=per_condition,
                condition=batch,
                seed=condition_seed,
                batch_size=batch_size,
                options=scan_options,
                **volume,
            )

        def used(
            batch: Any = batch, condition_seed: int = condition_seed, opts: Any = scan_options
        ) -> Any:
            return conditions_used(model, batch, per_condition, condition_seed, options=opts)

        geometry: dict[str, Any] = {}
        if fmt != "png":
            geometry["affine"] = (
                output_affine(meta["affine"], x.shape[1:], samples.shape[2:])
                if samples.ndim == x.ndim + 1
                else None
            )
            if fitted is not None:  # the writer prefers the model's declared units
                geometry["intensity_inverse"] = fitted.inverse
        stems = [f"{strip_suffix(path.name)}_{j:03d}" for j in range(len(samples))]
        yield samples, stems, used if montage else None, geometry
