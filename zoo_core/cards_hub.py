"""What other tools read from a card: the Hub's ``model-index`` and MONAI's I/O metadata.

The zoo's own ``zoo.inputs``/``zoo.outputs`` stay the source of truth; the card also carries
them as MONAI bundle metadata (``network_data_format``), derived here, so that
``monai.bundle``'s network check (``verify_net_in_out``) reads a card's front matter as a
bundle's ``metadata.json``. ``cards.validate`` refuses a card whose copy differs from the
derivation, so the two never drift apart.

MONAI's check feeds ``inputs.image`` to the network and compares ``outputs.pred`` with what
comes out, so those are the keys used. What ``image`` is depends on the model:

* conditional models: the card's first input, as it is (a scan, a label map);
* class-conditional models (``layout: N``): one class index per sample, ``(N, 1)``;
* unconditional models: one number in [0, 1) per sample, ``(N, 1)``, that seeds the
  sample's latent draw (:class:`zoo_core.monai_bundle.MonaiNetwork`); GANs draw their own
  noise, and a seed is what reproduces a sample.

``pred`` is every output channel in the order ``generate`` returns them (a PGGAN's image
channels, then its segmentation's).
"""

from __future__ import annotations

import math
import re
from typing import Any

from zoo_core.errors import ZooError

NETWORK_DATA_FORMAT = "network_data_format"
#: The Hub's ``pipeline_tag``-style task type of each zoo task, for ``model-index``.
HUB_TASK_TYPES = {"unconditional-generation": "unconditional-image-generation"}
HUB_DEFAULT_TASK_TYPE = "image-to-image"
#: A Hub dataset id: ``ORG/NAME`` (canonical names without an owner are legacy and few).
HUB_DATASET_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
SEED_INPUT = {
    "type": "noise",
    "format": "seed",
    "num_channels": 1,
    "spatial_shape": [],
    "dtype": "float32",
    "value_range": [0, 1],
    "is_patch_data": False,
    "channel_def": {"0": "seed of the sample's latent draw"},
}


def _value_range(spec: dict[str, Any]) -> list[float]:
    return [float(v) for v in spec["value_range"]]


def _image_input(spec: dict[str, Any], modality: str) -> dict[str, Any]:
    """MONAI's description of one zoo input."""
    if spec.get("layout") == "N":  # one class index per sample
        return {
            "type": "class",
            "format": "index",
            "num_channels": 1,
            "spatial_shape": [],
            "dtype": "float32",
            "value_range": _value_range(spec),
            "is_patch_data": False,
            "channel_def": {"0": spec["channels"][0]},  # the class names: zoo.inputs label_maps
        }
    labels = bool(spec.get("label_maps"))
    return {
        "type": "image",
        "format": "labels" if labels else "magnitude",
        "modality": modality,
        "num_channels": len(spec["channels"]),
        "spatial_shape": [int(s) for s in spec["spatial_size"]],
        "dtype": "float32",
        "value_range": _value_range(spec),
        "is_patch_data": False,
        "channel_def": {str(i): name for i, name in enumerate(spec["channels"])},
    }


def network_data_format(zoo: dict[str, Any]) -> dict[str, Any]:
    """MONAI ``network_data_format`` (inputs and outputs) from a card's ``zoo`` block."""
    modality = str(zoo["modality"])
    inputs = list(zoo.get("inputs") or [])
    formatted_inputs: dict[str, Any] = {}
    if inputs:
        formatted_inputs["image"] = _image_input(inputs[0], modality)
        for spec in inputs[1:]:
            formatted_inputs[spec["name"]] = _image_input(spec, modality)
    else:
        formatted_inputs["image"] = dict(SEED_INPUT, channel_def=dict(SEED_INPUT["channel_def"]))
    outputs = list(zoo["outputs"])
    channels = [
        name if len(outputs) == 1 else f"{spec['name']}: {name}"
        for spec in outputs
        for name in spec["channels"]
    ]
    low = min(_value_range(spec)[0] for spec in outputs)
    high = max(_value_range(spec)[1] for spec in outputs)
    pred = {
        "type": "image",
        "format": "magnitude",
        "modality": modality,
        "num_channels": len(channels),
        "spatial_shape": [int(s) for s in outputs[0]["spatial_size"]],
        "dtype": "float32",
        "value_range": [low, high],
        "is_patch_data": bool(zoo.get("dims") == 3 and inputs),
        "channel_def": {str(i): name for i, name in enumerate(channels)},
    }
    return {"inputs": formatted_inputs, "outputs": {"pred": pred}}


def network_data_format_problems(metadata: dict[str, Any]) -> list[str]:
    """Why a card's ``network_data_format`` is not the one its zoo block derives (if so)."""
    given = metadata.get(NETWORK_DATA_FORMAT)
    if given is None:
        return []
    try:
        want = network_data_format(metadata["zoo"])
    except (KeyError, TypeError, ValueError) as exc:
        return [f"{NETWORK_DATA_FORMAT} cannot be derived from zoo.inputs/outputs ({exc})"]
    if given != want:
        return [
            f"{NETWORK_DATA_FORMAT} differs from what zoo.inputs/outputs say; rewrite it with "
            "zoo_core.cards_hub.network_data_format(card.zoo)"
        ]
    return []


def licence_problems(metadata: dict[str, Any]) -> list[str]:
    """The Hub's rule: ``license: other`` names the terms (``license_name``, a lower-case
    slug) and says where they are (``license_link``)."""
    if str(metadata.get("license", "")).lower() != "other":
        return []
    problems = []
    name = metadata.get("license_name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", name):
        problems.append("license: other needs license_name, a lower-case slug (e.g. brats-terms)")
    if not isinstance(metadata.get("license_link"), str) or not metadata["license_link"]:
        problems.append("license: other needs license_link (a URL or a file in the repo)")
    return problems


def dataset_problems(metadata: dict[str, Any]) -> list[str]:
    """``datasets:`` is read by the Hub as links to Hub datasets: ids only (``ORG/NAME``)."""
    return [
        f"datasets entry {name!r} is not a Hub dataset id (ORG/NAME); name it in zoo.datasets"
        for name in metadata.get("datasets") or []
        if not HUB_DATASET_ID.match(str(name))
    ]


# -- model-index from `zoo evaluate --json` ---------------------------------------------------


def _metric_entries(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """One Hub metric per finite number; spreads (``*_std``) and non-numbers are left out."""
    from zoo_core.metrics.evaluate import LABELS

    entries = []
    for key, value in metrics.items():
        if key.endswith("_std") or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if not math.isfinite(value):
            continue
        label = LABELS.get(key, (key, ""))[0]
        entries.append({"type": key, "value": float(value), "name": label})
    return entries


def evaluation_result(
    zoo: dict[str, Any], evaluation: dict[str, Any], dataset: str | None = None
) -> dict[str, Any]:
    """One ``model-index`` result from ``zoo evaluate``'s JSON (its ``metrics`` mapping)."""
    metrics = evaluation.get("metrics", evaluation)
    if not isinstance(metrics, dict):
        raise ZooError("the evaluation JSON has no 'metrics' mapping of names to numbers.")
    entries = _metric_entries(metrics)
    if not entries:
        raise ZooError(
            "the evaluation JSON holds no finite metric values to publish (expected "
            "`zoo evaluate ... --json` output with a 'metrics' mapping)."
        )
    task = str(zoo.get("task", ""))
    name = dataset or "zoo evaluate --real set"
    return {
        "task": {"type": HUB_TASK_TYPES.get(task, HUB_DEFAULT_TASK_TYPE), "name": task},
        "dataset": {"type": re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"), "name": name},
        "metrics": entries,
    }


def with_evaluation(
    metadata: dict[str, Any], result: dict[str, Any], model_name: str
) -> dict[str, Any]:
    """``metadata`` with ``result`` in its ``model-index``, replacing a result of the same
    task and dataset (a re-evaluation) and keeping the others (the card's own figures)."""
    index = [dict(entry) for entry in metadata.get("model-index") or []]
    if not index:
        index = [{"name": model_name, "results": []}]
    same = (result["task"]["name"], result["dataset"]["name"])
    kept = [
        r
        for r in index[0].get("results", [])
        if (r.get("task", {}).get("name"), r.get("dataset", {}).get("name")) != same
    ]
    index[0] = {**index[0], "results": [*kept, result]}
    return {**metadata, "model-index": index}
