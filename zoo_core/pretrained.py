"""Models as Hub citizens: ``from_pretrained``, ``save_pretrained`` and ``push_to_hub``.

The names and arguments are huggingface_hub's ``PyTorchModelHubMixin`` and diffusers', so a
zoo model is used like any other model on the Hub. Nothing here has a code path of its own:

* ``GANModel.from_pretrained`` is ``zoo.load`` (the same resolution, sha256 checks and
  caching), with a check that the loaded model is of the class it was called on;
* :func:`save_pretrained` writes the folder layout ``zoo ship`` writes and a plugin ships
  (``config.yaml``, ``model.safetensors``, a ``README.md`` card listing their sha256), which
  ``zoo.load(folder)`` checks before reading anything;
* :func:`push_to_hub` is ``zoo.push`` of such a folder: one commit, so a failed upload leaves
  the hub as it was.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo_core import cards
from zoo_core.errors import ZooError

if TYPE_CHECKING:
    from zoo_core.api import PushResult
    from zoo_core.interfaces.model import GANModel

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.yaml"
CARD_FILE = "README.md"


def _card_for(model: GANModel) -> cards.ModelCard:
    """The card the model was loaded with, else its registered id's card."""
    if model.card is not None:
        return model.card
    if not model.model_id:
        raise ZooError(
            f"this {type(model).__name__} has no model id and no card, so a saved folder could "
            "not say what it is: build it with zoo.load(ID, pretrained=False) or zoo.build()."
        )
    from zoo_core.api import model_card

    return model_card(model.model_id)


def _state_to_save(model: GANModel) -> dict[str, Any]:
    """The whole state dict, less the discriminator when its weights were never loaded.

    Shipped weights hold the generator only; the discriminator of a model loaded from them is
    freshly initialised, and saving it would publish random numbers as trained weights.
    """
    state = model.state_dict()
    if getattr(model, "discriminator_loaded", True):
        return state
    critic = model.discriminator_state_keys()
    return {key: value for key, value in state.items() if key not in critic}


def save_pretrained(
    model: GANModel, save_directory: str | Path, *, repo_id: str | None = None
) -> Path:
    """Write ``model`` to a folder that ``from_pretrained`` / ``zoo.load`` reads back exactly.

    The folder holds ``model.safetensors`` (the state dict as it is, in its dtype),
    ``config.yaml`` (the full run config, so the architecture is rebuilt as it was) and a
    ``README.md`` card: the model's card with ``zoo.weights`` listing the sha256 of both
    files. ``repo_id`` is where the folder is meant to be published (default: the card's
    own, else ``local/<model id>``). Each file is written to a temporary name and renamed
    into place, the card last, so an interrupted save never leaves a card that vouches for
    files it does not describe; other files in the folder are left alone.
    """
    from zoo_core import config as zoo_config
    from zoo_core.weights import atomic_path, save_state_dict, sha256_file

    if model.config is None:
        raise ZooError("the model has no config (model.config): load or build it with the zoo.")
    base = _card_for(model)
    model_id = model.model_id or base.zoo.get("id")
    repo_id = repo_id or (base.weights or {}).get("repo_id") or f"local/{model_id}"
    folder = Path(save_directory)
    folder.mkdir(parents=True, exist_ok=True)
    save_state_dict(_state_to_save(model), folder / WEIGHTS_FILE, {"model_id": str(model_id)})
    with atomic_path(folder / CONFIG_FILE) as tmp:
        tmp.write_text(zoo_config.to_yaml(model.config), encoding="utf-8")
    files = {name: sha256_file(folder / name) for name in (WEIGHTS_FILE, CONFIG_FILE)}
    metadata = dict(base.metadata)
    weights = {"repo_id": repo_id, "revision": None, "files": files}
    metadata["zoo"] = {**base.zoo, "weights": weights}
    card = cards.for_hub(cards.ModelCard(metadata, base.body, str(folder / CARD_FILE)))
    cards.validate(card)
    with atomic_path(folder / CARD_FILE) as tmp:
        tmp.write_text(card.text(), encoding="utf-8")
    for name in (WEIGHTS_FILE, CONFIG_FILE, CARD_FILE):  # mkstemp makes 0600 files
        (folder / name).chmod(0o644)
    return folder


def push_to_hub(
    model: GANModel,
    repo_id: str,
    *,
    to: str | None = None,
    commit_message: str | None = None,
    private: bool = False,
    metrics: dict[str, Any] | str | Path | None = None,
) -> PushResult:
    """Publish ``model`` to ``repo_id`` in one commit, through ``zoo.push``.

    The model is saved with :func:`save_pretrained` into a temporary folder that is then
    pushed like any model folder (the config is checked against the architecture and the
    card against the schema first). ``to`` is ``"hf"`` or ``"dir:PATH"`` as for
    ``zoo push --to``; ``metrics`` (``zoo evaluate``'s JSON, or its path) become the card's
    ``model-index``.
    """
    from zoo_core.api import push

    with tempfile.TemporaryDirectory(prefix="zoo-push-to-hub-") as tmp:
        folder = save_pretrained(model, Path(tmp) / "model", repo_id=repo_id)
        return push(
            folder,
            repo_id,
            to=to,
            model_id=model.model_id,
            commit_message=commit_message,
            private=private,
            metrics=metrics,
        )
