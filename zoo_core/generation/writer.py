"""Writing generated samples to files: one folder, one format, one provenance record.

:class:`SampleWriter` is what ``zoo generate``, ``zoo pggan generate`` and ``zoo demo`` write
through, so the rules live in one place: ``provenance.json`` is written before any sample
(a folder of samples always says what made them), every file goes through
:func:`zoo_core.io.write_sample` (which marks it synthetic in its format's own place and
embeds the record), NIfTI and DICOM hold physical values (the model's declared output
units, else the inverse of the condition's normalisation) and DICOM gets the modality those
units imply. Callers choose only the file names and, for volumes, the geometry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoo_core.errors import ZooError


@dataclass(frozen=True)
class OutputGroup:
    """Channels written to files of their own: ``name`` is the file-name suffix."""

    name: str
    channels: list[str]
    index: list[int]


def output_groups(model: Any) -> list[OutputGroup]:
    """The model card's outputs as channel ranges of the generated tensor (they come in the
    card's order): ``[OutputGroup("image", ["T1"], [0]), OutputGroup("segmentation", ...)]``."""
    card = getattr(model, "card", None)
    outputs = (card.zoo.get("outputs") if card is not None else None) or []
    groups, start = [], 0
    for out in outputs:
        channels = [str(c) for c in out.get("channels") or []]
        groups.append(
            OutputGroup(str(out["name"]), channels, list(range(start, start + len(channels))))
        )
        start += len(channels)
    if not groups:
        raise ZooError(
            f"{getattr(model, 'model_id', None) or 'the model'}: its card lists no outputs."
        )
    return groups


@dataclass
class SampleWriter:
    """Writes samples ``(C, *spatial)`` of ``model`` into ``out_dir`` as ``fmt``.

    Creating one writes ``provenance.json`` (``seed``, ``conditions`` and ``extra`` go into
    the record, which every file also embeds). With ``groups`` each sample is split into one
    file set per group (``<name>_<group>``, as the pggan and demo outputs are laid out);
    without, the writers split channels themselves (RGB together, each other channel apart).
    ``name`` is how errors refer to the model (the user's spelling of it).
    """

    model: Any
    out_dir: Path
    fmt: str = "png"
    seed: int | None = None
    conditions: Sequence[str | Path] | None = None
    extra: dict[str, Any] | None = None
    groups: Sequence[OutputGroup] | None = None
    name: str | None = None
    files: list[Path] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        from zoo_core import io as zio
        from zoo_core.generation.output_units import output_intensity, output_modality

        self.out_dir = Path(self.out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.value_range, self.channel_names = zio.output_spec(self.model)
        self.declared = output_intensity(self.model)  # None: in the condition's units
        card = getattr(self.model, "card", None)
        modality = output_modality(self.declared, card.zoo.get("modality") if card else None)
        self.modality = modality if self.fmt == "dicom" and modality in ("CT", "MR") else None
        self.record = zio.provenance_record(
            self.model, seed=self.seed, conditions=self.conditions, extra=self.extra
        )
        self.provenance = zio.write_provenance(self.out_dir, self.record)

    def write(
        self,
        sample: Any,
        stem: str,
        *,
        affine: Any = None,
        intensity_inverse: Callable[[Any], Any] | None = None,
    ) -> list[Path]:
        """Write one sample as ``out_dir/<stem>...`` and return its files.

        ``intensity_inverse`` (the condition's fitted normalisation, undone) applies only when
        the model declares no output units; ``affine`` is the volume's geometry (NIfTI/DICOM).
        """
        import numpy as np

        from zoo_core import io as zio

        array = np.asarray(sample.detach().cpu() if hasattr(sample, "detach") else sample)
        if self.fmt == "png" and array.ndim == 4:
            raise ZooError(
                f"{self.name or self.model.model_id} made a volume {tuple(array.shape[1:])}: "
                "PNG cannot hold it; pass --format nifti or --format dicom."
            )
        if self.fmt == "png":
            intensity_inverse = None
        elif self.declared is not None:
            intensity_inverse = self.declared.inverse
        parts = [(stem, array, self.channel_names)]
        if self.groups is not None:
            parts = [(f"{stem}_{g.name}", array[g.index], g.channels) for g in self.groups]
        written: list[Path] = []
        for part_stem, part, names in parts:
            written += zio.write_sample(
                part,
                self.out_dir / part_stem,
                self.fmt,
                value_range=self.value_range,
                channel_names=names,
                affine=affine,
                intensity_inverse=intensity_inverse,
                provenance=self.record,
                modality=self.modality,
            )
        self.files += written
        return written

    def write_all(
        self, samples: Iterable[Any], stems: Iterable[str], **geometry: Any
    ) -> list[Path]:
        """:meth:`write` each sample of a batch under the stem beside it."""
        return [
            f
            for s, stem in zip(samples, stems, strict=True)
            for f in self.write(s, stem, **geometry)
        ]
