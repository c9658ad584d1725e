"""Trained weights that ship inside a plugin package, laid out exactly like a Hub repo.

A plugin registers ``ModelSpec(..., weights="zoo_mygan:weights/<id>")`` naming a folder that
holds ``config.yaml``, ``model.safetensors`` and ``README.md``. The README.md is the model
card (so one file says what the weights are), and its ``zoo.weights`` names the Hub
``repo_id`` they are published at, a ``revision`` (null until pushed) and the sha256 of every
other file. ``zoo.load(id)`` then reads the folder without the network, after checking every
sha256; ``zoo push FOLDER`` publishes the same bytes.

:func:`ship` writes such a folder from a ``zoo train`` checkpoint: the generator's weights only
(the discriminator is not needed to generate), the run's config and the card.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from zoo_core import cards, hub
from zoo_core.errors import CardError, ShippedWeightsError, WeightsIntegrityError, ZooError
from zoo_core.registry import SHIPPED_CARD, ModelSpec
from zoo_core.weights import sha256_file, verify

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.yaml"
SOURCE_PREFIX = "shipped:"


@dataclass
class ShippedFolder:
    """A shipped weights folder whose files matched the sha256 its card lists."""

    folder: Path
    card: cards.ModelCard
    files: dict[str, Path]
    sha256: dict[str, str]

    @property
    def repo_id(self) -> str:
        return self.card.weights["repo_id"]

    @property
    def revision(self) -> str | None:
        return self.card.weights.get("revision")

    @property
    def source(self) -> str:
        return f"{SOURCE_PREFIX}{self.folder}"


def uses_shipped(spec: ModelSpec, revision: str | None, source: str | None) -> bool:
    """Whether a load or download of ``spec`` reads its shipped folder instead of a hub.

    Only without an explicit ``source`` and at the card's own revision: asking for another
    hub or commit means the caller wants what is published there.
    """
    if spec.weights is None or source is not None:
        return False
    if revision is None:
        return True
    try:
        pinned = (cards.read(spec.card_path()).weights or {}).get("revision")
    except CardError:
        return False
    return revision == pinned


def _reinstall_hint(spec: ModelSpec) -> str:
    plugin = f"plugin {spec.plugin!r}" if spec.plugin else "the plugin"
    return f"Reinstall {plugin}, or rewrite the folder with `zoo ship`."


def _listing(spec: ModelSpec, folder: Path) -> tuple[cards.ModelCard, dict[str, str]]:
    """The folder's card and the sha256 it lists, refusing a card that lists too little."""
    card_path = folder / SHIPPED_CARD
    if not card_path.is_file():
        raise ShippedWeightsError(
            f"{card_path} is missing: {spec.id} ships its weights in {folder}, which needs a "
            f"README.md model card. {_reinstall_hint(spec)}"
        )
    card = cards.read(card_path)
    weights = card.weights or {}
    expected = dict(weights.get("files") or {})
    if not weights.get("repo_id") or not expected:
        raise ShippedWeightsError(
            f"{card_path}: zoo.weights must name the repo_id and list every shipped file "
            f"with its sha256. {_reinstall_hint(spec)}"
        )
    for name in (WEIGHTS_FILE, CONFIG_FILE):
        if name not in expected:
            raise ShippedWeightsError(
                f"{card_path}: zoo.weights.files does not list {name}, so it cannot be checked "
                f"before loading. {_reinstall_hint(spec)}"
            )
    return card, expected


def verified(spec: ModelSpec) -> ShippedFolder:
    """The shipped folder of ``spec`` after checking every file its card lists.

    Raises :class:`WeightsIntegrityError` naming the file when one is missing or its sha256
    differs: nothing is read from the folder before all of them match.
    """
    folder = spec.weights_path()
    if folder is None:
        raise ShippedWeightsError(f"model {spec.id!r} ships no weights in its package.")
    if not folder.is_dir():
        raise ShippedWeightsError(
            f"{folder} does not exist: the weights {spec.id} ships are not installed. "
            f"{_reinstall_hint(spec)}"
        )
    card, expected = _listing(spec, folder)
    files = {name: folder / name for name in expected}
    missing = sorted(name for name, path in files.items() if not path.is_file())
    if missing:
        raise WeightsIntegrityError(
            f"{folder}: {', '.join(missing)} listed in {SHIPPED_CARD} but not in the folder. "
            f"Nothing was loaded. {_reinstall_hint(spec)}"
        )
    advice = (
        f"{folder} was changed after the package was built (or edited without `zoo ship`). "
        + _reinstall_hint(spec)
    )
    verify(files, expected, advice=advice)
    return ShippedFolder(folder, card, files, expected)


# -- writing a shipped folder ----------------------------------------------------------------


@dataclass
class ShipResult:
    folder: Path
    model_id: str
    repo_id: str
    files: dict[str, str]
    sizes: dict[str, int]


def _base_card(model_id: str, card: str | Path | None) -> cards.ModelCard:
    from zoo_core.api import model_card

    base = cards.read(card) if card is not None else model_card(model_id)
    if base.zoo.get("id") != model_id:
        raise ZooError(
            f"{base.source} is the card of {base.zoo.get('id')!r}, not of {model_id!r} "
            "(the checkpoint's model): pass the card of that model."
        )
    return base


def _new_notes(card: cards.ModelCard, notes: list[str]) -> cards.ModelCard:
    """The trainer's notes added to the card, leaving out those it already has (re-shipping
    from the shipped card must not repeat them)."""
    from zoo_core.api import _with_notes

    return _with_notes(card, [note for note in notes if note not in card.body])


def _inference_state(checkpoint: Path, arch_name: str, config_text: str, groups: dict) -> dict:
    """The checkpoint's generator weights (EMA when kept), checked to fit the config."""
    from zoo_core import checkpoint as zoo_checkpoint
    from zoo_core import config as zoo_config
    from zoo_core.api import _fit_state, build
    from zoo_core.registry import get_registry

    arch = get_registry().architecture(arch_name)
    cfg = zoo_config.load(arch, text=config_text, source=str(checkpoint))
    model = build(arch_name, cfg)
    critic_only = model.discriminator_state_keys()
    state = zoo_checkpoint.inference_weights(groups)
    state = {key: value for key, value in state.items() if key not in critic_only}
    _fit_state(model, state, str(checkpoint))
    return state


def _write_folder(
    staging: Path, state: dict, config_text: str, card: cards.ModelCard, repo_id: str
) -> dict[str, str]:
    """Write the three files into ``staging``; returns the sha256 the card lists."""
    from zoo_core.weights import save_state_dict

    model_id = card.zoo["id"]
    save_state_dict(state, staging / WEIGHTS_FILE, metadata={"model_id": model_id})
    (staging / CONFIG_FILE).write_text(config_text, encoding="utf-8")
    files = {name: sha256_file(staging / name) for name in (WEIGHTS_FILE, CONFIG_FILE)}
    metadata = dict(card.metadata)
    metadata["zoo"] = dict(card.zoo)
    metadata["zoo"]["weights"] = {"repo_id": repo_id, "revision": None, "files": files}
    # The Hub's spelling of the licence, so that `zoo push` can publish the card unchanged.
    final = cards.for_hub(cards.ModelCard(metadata, card.body, str(staging / SHIPPED_CARD)))
    cards.validate(final)
    (staging / SHIPPED_CARD).write_text(final.text(), encoding="utf-8")
    for path in staging.iterdir():  # mkstemp files are 0600; installed packages must be readable
        path.chmod(0o644)
    staging.chmod(0o755)
    return files


def _replace_folder(staging: Path, out: Path) -> None:
    """Move ``staging`` to ``out`` by renames, so ``out`` is never half-written."""
    if not out.exists():
        os.rename(staging, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rename(out, old / out.name)
    os.rename(staging, out)
    shutil.rmtree(old, ignore_errors=True)


def ship(
    checkpoint: str | Path,
    out_dir: str | Path,
    *,
    repo_id: str,
    model_id: str | None = None,
    card: str | Path | None = None,
    overwrite: bool = False,
) -> ShipResult:
    """Write a shipped weights folder from a ``zoo train`` checkpoint.

    ``out_dir`` becomes the folder (e.g. ``zoo_mygan/weights/<id>``): ``model.safetensors``
    with the generator's weights only (EMA when kept), the run's ``config.yaml`` and a
    ``README.md`` that is the registered card (or ``card``) with its Markdown body kept and
    ``zoo.weights = {repo_id, revision: null, files: {name: sha256}}``. Everything is written
    to a temporary folder beside it and renamed into place. ``model_id`` refuses a checkpoint
    of another model.
    """
    from zoo_core import checkpoint as zoo_checkpoint
    from zoo_core.api import _stage_notes

    hub.check_repo_id(repo_id)
    path, out = Path(checkpoint), Path(out_dir)
    if out.exists() and not overwrite:
        raise ShippedWeightsError(f"{out} exists; pass overwrite=True (--force) to replace it.")
    groups, info = zoo_checkpoint.read(path)
    if model_id is not None and info["model_id"] != model_id:
        raise ZooError(f"{path} is a checkpoint of {info['model_id']!r}, not {model_id!r}.")
    base = _new_notes(_base_card(info["model_id"], card), _stage_notes(info))
    state = _inference_state(path, base.zoo["architecture"], info["config"], groups)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.incoming-", dir=out.parent))
    try:
        files = _write_folder(staging, state, info["config"], base, repo_id)
        _replace_folder(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    return ShipResult(out, info["model_id"], repo_id, files, sizes)
