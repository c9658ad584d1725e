"""Model cards: Markdown with YAML front matter that Hugging Face understands.

The top-level keys (``license``, ``tags``, ``library_name``, ``datasets``, ``metrics``,
``pipeline_tag``) are Hugging Face model-card metadata; everything the zoo needs (paper,
modality, task, inputs and outputs, weights and their sha256) lives under ``zoo:``, so the card
that ships in a plugin is the same file that is published as the Hub repo's README.md.

Listing reads front matter with plain YAML; :func:`validate` checks the full schema, which is
expressed as dataclasses and enforced by OmegaConf, so an error names the key and the type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from zoo_core.errors import CardError

#: libyaml's parser when PyYAML was built with it: the same safe YAML, about 10x faster, which
#: is most of what `zoo list` spends reading twenty cards (pure-Python parsing took 0.3 s).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LIBRARY_NAME = "zoo-core"
MODALITIES = ("CT", "MR", "fundus", "PET", "X-ray", "US", "any")
TASKS = (
    "unconditional-generation",
    "conditional-generation",
    "autoencoding",
    "denoising",
    "super-resolution",
    "depixelation",
    "translation",
    "style-transfer",
    "texture-synthesis",
)
#: The SPDX ids we accept; extend when a card needs another one.
SPDX_LICENSES = (
    "Apache-2.0",
    "MIT",
    "BSD-3-Clause",
    "CC0-1.0",
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC-BY-NC-4.0",
    "CC-BY-NC-SA-4.0",
    "other",
)
SHA256 = re.compile(r"^[0-9a-f]{64}$")
GIT_SHA = re.compile(r"^[0-9a-f]{40}$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)


@dataclass
class Paper:
    title: str
    authors: str
    year: int
    url: str
    citation: str


@dataclass
class TensorSpec:
    """One input or output: what its channels mean and the values they take."""

    name: str
    channels: list[str]
    spatial_size: list[int]
    value_range: list[float]
    layout: str = "NCHW"
    description: str = ""
    label_maps: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrainingData:
    description: str
    license: str


@dataclass
class Weights:
    """Where published weights live; ``revision`` pins a commit, ``files`` maps name -> sha256."""

    repo_id: str
    files: dict[str, str]
    revision: str | None = None


@dataclass
class ZooCardFields:
    id: str
    architecture: str
    paper: Paper
    modality: str
    task: str
    dims: int
    resolution: list[int]
    outputs: list[TensorSpec]
    intended_use: str
    limitations: str
    training_data: TrainingData
    inputs: list[TensorSpec] = field(default_factory=list)
    #: Names of the training data sets that are not Hub datasets (the top-level
    #: ``datasets:`` is for Hub dataset ids only: the Hub links each entry).
    datasets: list[str] = field(default_factory=list)
    implementation_choices: list[str] = field(default_factory=list)
    weights: Weights | None = None


@dataclass
class CardMetadata:
    license: str
    zoo: ZooCardFields
    #: With ``license: other`` (the training data's terms restrict the weights): a slug
    #: naming those terms and where to read them, as the Hub asks.
    license_name: str | None = None
    license_link: str | None = None
    library_name: str = LIBRARY_NAME
    tags: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    pipeline_tag: str | None = None
    base_model: str | None = None


@dataclass
class ModelCard:
    """A parsed card: its metadata (plain dicts, as written) and its Markdown body."""

    metadata: dict[str, Any]
    body: str
    source: str = "<card>"

    @property
    def zoo(self) -> dict[str, Any]:
        return self.metadata.get("zoo") or {}

    @property
    def weights(self) -> dict[str, Any] | None:
        return self.zoo.get("weights")

    def text(self) -> str:
        front = yaml.safe_dump(self.metadata, sort_keys=False, allow_unicode=True)
        return f"---\n{front}---\n{self.body}"


def parse(text: str, source: str = "<card>") -> ModelCard:
    """Split a card into front matter and body; no schema check."""
    match = _FRONT_MATTER.match(text)
    if not match:
        raise CardError(f"{source}: a model card must start with YAML front matter between '---'.")
    try:
        metadata = yaml.load(match.group(1), Loader=_SafeLoader) or {}
    except yaml.YAMLError as exc:
        raise CardError(f"{source}: front matter is not valid YAML: {exc}") from None
    if not isinstance(metadata, dict):
        raise CardError(f"{source}: front matter must be a mapping of keys to values.")
    return ModelCard(metadata, text[match.end() :], source)


def read(path: str | Path) -> ModelCard:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CardError(f"cannot read model card {path}: {exc.strerror}") from None
    return parse(text, str(path))


#: The Hugging Face key of evaluation results (a hyphen, so it is no dataclass field).
MODEL_INDEX = "model-index"


def model_index(name: str, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hugging Face ``model-index`` from result entries, each ``{"task": {"type", "name"},
    "dataset": {"type", "name", "split"}, "metrics": [{"type", "value", "name"}]}``.

    The Hub shows these as the model's evaluation results; the same numbers stand in the
    card's text beside the baselines they are compared with.
    """
    return [{"name": name, "results": [dict(r) for r in results]}]


def _model_index_problems(index: Any) -> list[str]:
    if not isinstance(index, list) or not index:
        return [f"{MODEL_INDEX} must be a list with one entry (name, results)"]
    problems = []
    for entry in index:
        if not isinstance(entry, dict) or "name" not in entry or "results" not in entry:
            problems.append(f"every {MODEL_INDEX} entry needs 'name' and 'results'")
            continue
        for result in entry["results"]:
            for key in ("task", "dataset", "metrics"):
                if key not in result:
                    problems.append(f"a {MODEL_INDEX} result lacks {key!r}")
            for metric in result.get("metrics", []):
                if not isinstance(metric.get("value"), int | float) or "type" not in metric:
                    problems.append(f"{MODEL_INDEX} metric {metric!r} needs a type and a number")
    return problems


def validate(card: ModelCard) -> None:
    """Check a card against the schema; raise :class:`CardError` naming the key at fault."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from zoo_core import cards_hub

    # Checked on their own below: their keys are free-form (metric and input names).
    free_form = (MODEL_INDEX, cards_hub.NETWORK_DATA_FORMAT)
    metadata = {k: v for k, v in card.metadata.items() if k not in free_form}
    try:
        merged = OmegaConf.merge(OmegaConf.structured(CardMetadata), metadata)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None) or "?"
        msg = str(exc).splitlines()[0]
        raise CardError(f"{card.source}: key {key!r}: {msg}") from None
    # A merge leaves required fields the card lacks as '???' instead of failing.
    missing = sorted(OmegaConf.missing_keys(merged))
    if missing:
        keys = ", ".join(repr(k) for k in missing)
        raise CardError(
            f"{card.source}: key {keys} is missing (required by the card schema, "
            "zoo_core.cards.CardMetadata)."
        )

    meta = OmegaConf.to_container(merged)  # with the schema's defaults filled in
    zoo = meta["zoo"]
    problems = []
    if str(meta["license"]).lower() not in {spdx.lower() for spdx in SPDX_LICENSES}:
        problems.append(f"license {meta['license']!r} is not one of {', '.join(SPDX_LICENSES)}")
    if zoo["modality"] not in MODALITIES:
        problems.append(f"zoo.modality {zoo['modality']!r} is not one of {', '.join(MODALITIES)}")
    if zoo["task"] not in TASKS:
        problems.append(f"zoo.task {zoo['task']!r} is not one of {', '.join(TASKS)}")
    if zoo["dims"] not in (2, 3):
        problems.append(f"zoo.dims must be 2 or 3, not {zoo['dims']!r}")
    if len(zoo["resolution"]) != zoo["dims"]:
        problems.append("zoo.resolution must have one size per dimension (zoo.dims)")
    for spec in zoo.get("inputs", []) + zoo["outputs"]:
        value_range = spec["value_range"]
        if len(value_range) != 2 or value_range[0] >= value_range[1]:
            problems.append(f"{spec['name']}: value_range must be [low, high] with low < high")
    if MODEL_INDEX in card.metadata:
        problems += _model_index_problems(card.metadata[MODEL_INDEX])
    problems += cards_hub.licence_problems(card.metadata)
    problems += cards_hub.dataset_problems(card.metadata)
    problems += cards_hub.network_data_format_problems(card.metadata)
    weights = zoo.get("weights")
    if weights:
        if not weights["files"]:
            problems.append("zoo.weights.files must list every published file with its sha256")
        for name, digest in weights["files"].items():
            if not SHA256.match(str(digest)):
                problems.append(f"zoo.weights.files[{name!r}] is not a lower-case sha256 digest")
        revision = weights.get("revision")
        if revision is not None and not GIT_SHA.match(str(revision)):
            problems.append("zoo.weights.revision must be a 40-hex commit id (or null)")
    if problems:
        raise CardError(f"{card.source}: " + "; ".join(problems))


def for_hub(card: ModelCard) -> ModelCard:
    """The card as the Hugging Face Hub accepts it for a repo's README.md.

    SPDX ids are case-insensitive, but the Hub's metadata check only knows their lower-case
    spelling (``apache-2.0``, ``cc-by-4.0``) and refuses a commit with ``Apache-2.0``.
    """
    metadata = dict(card.metadata)
    if isinstance(metadata.get("license"), str):
        metadata["license"] = metadata["license"].lower()
    return ModelCard(metadata, card.body, card.source)


def _first_surname(authors: str) -> str:
    """``"Martin Arjovsky, Soumith Chintala"`` and ``"Arjovsky, Chintala"`` both give Arjovsky."""
    first = authors.split(",")[0].split()
    return first[-1] if first else "?"


def summary(card: ModelCard) -> dict[str, Any]:
    """The facets ``zoo list`` shows and filters on."""
    zoo = card.zoo
    paper = zoo.get("paper") or {}
    return {
        "architecture": zoo.get("architecture", "?"),
        "paper": f"{_first_surname(paper.get('authors', '?'))} {paper.get('year', '')}".strip(),
        "modality": zoo.get("modality", "?"),
        "task": zoo.get("task", "?"),
        "dims": zoo.get("dims"),
        "resolution": "x".join(str(s) for s in zoo.get("resolution", [])),
        "weights": bool(zoo.get("weights")),
    }
