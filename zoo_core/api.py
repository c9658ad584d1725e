"""The Python face of the zoo: list, build, load, download and push models.

``zoo.load("beers-pggan-rop")`` resolves the id in the registry, fetches the files its card
names (checking each sha256 before anything is read), builds the architecture from the config
published with the weights and returns the model in eval mode. ``zoo.load("ORG/NAME")``
does the same for a repo that ``zoo push`` published, trusting the card inside that repo.
A registered id whose plugin ships its weights (``ModelSpec.weights``) loads them from the
installed package instead, with the same checks and no network.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo_core import cards, hub, precision, shipped_weights
from zoo_core import config as zoo_config
from zoo_core.devices import parse_device
from zoo_core.errors import ConfigError, NoWeightsError, WeightsIntegrityError, ZooError
from zoo_core.registry import ModelSpec, get_registry
from zoo_core.shipped_weights import ShipResult, ship  # noqa: F401 - zoo.ship

if TYPE_CHECKING:
    from zoo_core.interfaces.model import GANModel

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.yaml"
CARD_FILE = "README.md"


def list_models(
    pattern: str | list[str] = "*",
    *,
    modality: str | None = None,
    task: str | None = None,
    dims: int | None = None,
    architecture: str | None = None,
    pretrained: bool | None = None,
) -> list[dict[str, Any]]:
    """Registered models matching fnmatch patterns and facets, one dict per model."""
    patterns = [pattern] if isinstance(pattern, str) else list(pattern)
    rows = []
    for spec in get_registry().match(patterns):
        try:
            row = {"id": spec.id, **cards.summary(cards.read(spec.card_path()))}
        except ZooError as exc:
            row = {"id": spec.id, "architecture": spec.architecture, "error": str(exc)}
        row["plugin"] = spec.plugin
        row["shipped"] = spec.weights is not None
        if modality and str(row.get("modality", "")).lower() != modality.lower():
            continue
        if task and row.get("task") != task:
            continue
        if dims is not None and row.get("dims") != dims:
            continue
        if architecture and row.get("architecture") != architecture:
            continue
        if pretrained is not None and row.get("weights") != pretrained:
            continue
        rows.append(row)
    return rows


def model_spec(model_id: str) -> ModelSpec:
    return get_registry().model(model_id)


def model_card(model_id: str) -> cards.ModelCard:
    return cards.read(model_spec(model_id).card_path())


def model_config(model_id: str, overrides: list[str] | None = None):
    """The paper's config for a registered id, with dotlist overrides applied."""
    spec = model_spec(model_id)
    arch = get_registry().architecture(spec.architecture)
    return zoo_config.load(arch, spec.config_path(), overrides)


def build(architecture: str, cfg: Any) -> GANModel:
    """Build an architecture from a full run config (``model:``, ``train:``, ``data:``)."""
    from zoo_core.interfaces.model import GANModel

    arch = get_registry().architecture(architecture)
    model = arch.build(cfg.model)
    if not isinstance(model, GANModel):
        raise ZooError(
            f"builder {arch.builder} of plugin {arch.plugin!r} returned "
            f"{type(model).__name__}, not a zoo_core.GANModel."
        )
    model.config = cfg
    return model


def _attach(model: GANModel, model_id: str, card: cards.ModelCard, info: dict) -> GANModel:
    model.model_id = model_id
    model.card = card
    model.weights_info = info
    return model


def _fit_state(model: GANModel, state: dict[str, Any], where: str) -> None:
    """Load ``state`` into ``model``, accepting weights without the discriminator's keys.

    Shipped weights hold only what generating needs (``discriminator_state_keys``); any
    other missing or unexpected key means the weights belong to another config.
    """
    missing, unexpected = model.load_state_dict(state, strict=False)
    critic = model.discriminator_state_keys()
    model.discriminator_loaded = not (critic & set(missing))
    missing = sorted(set(missing) - critic)
    if missing or unexpected:
        raise ZooError(
            f"{where} does not fit {type(model).__name__} as its config builds it: missing "
            f"{missing[:5]}, unexpected {sorted(unexpected)[:5]}. Was it trained with another "
            "config?"
        )


def _is_repo_id(name: str) -> bool:
    return "/" in name


def _is_local(name: str) -> bool:
    """Whether ``zoo.load(name)`` means a checkpoint file or a model folder on disk.

    A registered id always means the registry, and a folder named like a Hub repo
    (``ORG/NAME``) is local only when it holds model files: a stray folder in the working
    directory must not hide a model.
    """
    from zoo_core.weights import PICKLE_SUFFIXES

    local = Path(name)
    if local.suffix in (".safetensors", *PICKLE_SUFFIXES):
        return True  # a weights file, never a repo id
    if name in get_registry().models or not local.is_dir():
        return False
    holds_model = any((local / f).is_file() for f in (WEIGHTS_FILE, CONFIG_FILE))
    return holds_model or not hub.is_repo_id(name)


def _load_local(
    path: Path, overrides: list[str] | None, allow_pickle: bool, expect: str | None = None
) -> GANModel:
    """A ``zoo train`` checkpoint, or a folder with model.safetensors and config.yaml.

    The config travels with the weights (checkpoint metadata or config.yaml), so the model is
    rebuilt exactly as it was trained; the card is the folder's README.md if it has one, else
    the registered model's card. ``expect`` refuses weights of another model id before
    anything is built.
    """
    from zoo_core import checkpoint
    from zoo_core.weights import PICKLE_SUFFIXES, load_state_dict, read_metadata

    card = None
    if path.is_file() and path.suffix not in PICKLE_SUFFIXES:
        groups, info = checkpoint.read(path)
        weights = checkpoint.inference_weights(groups)
        config_text, model_id = info["config"], info["model_id"]
    else:
        # a model folder, or a pickle of weights whose config.yaml lies beside it
        folder, weights_path = (path, path / WEIGHTS_FILE) if path.is_dir() else (path.parent, path)
        if path.is_dir():
            missing = [n for n in (WEIGHTS_FILE, CONFIG_FILE) if not (folder / n).is_file()]
            if missing:
                raise ZooError(f"{path} has no {' or '.join(missing)}: not a model folder.")
        weights = load_state_dict(weights_path, allow_pickle=allow_pickle)
        if not (folder / CONFIG_FILE).is_file():
            raise ZooError(
                f"{path} holds weights but {folder} has no {CONFIG_FILE}, so the model they "
                f"belong to is unknown: put the {CONFIG_FILE} it was trained with beside it."
            )
        if (folder / CARD_FILE).is_file():
            card = cards.read(folder / CARD_FILE)
            if path.is_dir():  # a weights file named on its own may borrow a card beside it
                _verify_listed(folder, card)
        config_text = (folder / CONFIG_FILE).read_text()
        model_id = card.zoo.get("id") if card else None
        if not model_id and weights_path.suffix == ".safetensors":
            model_id = read_metadata(weights_path).get("model_id")
        if not model_id:
            raise ZooError(f"{path}: no {CARD_FILE} card or weights metadata names the model id.")
    if expect is not None and model_id != expect:
        what = "checkpoint" if path.is_file() else "model folder"
        raise ZooError(f"{path} is a {what} of {model_id!r}, not {expect!r}.")
    if card is None:
        card = model_card(model_id)
    arch_name = card.zoo["architecture"]
    arch = get_registry().architecture(arch_name)
    cfg = zoo_config.load(arch, overrides=overrides, text=config_text, source=str(path))
    model = build(arch_name, cfg)
    _fit_state(model, weights, str(path))
    return _attach(model, model_id, card, {"path": str(path), "pretrained": True})


def _verify_listed(folder: Path, card: cards.ModelCard) -> None:
    """Check the files a folder's card lists (``save_pretrained``, ``zoo ship`` and a Hub
    snapshot list them) before any is read, as a download is checked: a folder whose
    weights or config changed after its card was written is refused, not loaded."""
    from zoo_core.weights import verify

    listed = dict((card.weights or {}).get("files") or {})
    if not listed:
        return  # a hand-made folder: nothing to check against
    missing = sorted(name for name in listed if not (folder / name).is_file())
    if missing:
        raise WeightsIntegrityError(
            f"{folder}: {', '.join(missing)} listed in {CARD_FILE} but not in the folder. "
            "Nothing was loaded."
        )
    advice = (
        f"{folder} was changed after its {CARD_FILE} was written; write it again with "
        "model.save_pretrained(), or remove zoo.weights from the card to load it unchecked."
    )
    verify({name: folder / name for name in listed}, listed, advice=advice)


def load_local(
    path: str | Path,
    *,
    model_id: str | None = None,
    device: str = "cpu",
    overrides: list[str] | None = None,
    allow_pickle: bool = False,
) -> GANModel:
    """What ``zoo.load(path)`` does for a training checkpoint or a model folder, refusing
    one of another model than ``model_id`` when it is given.

    Commands that take ``MODEL_ID --checkpoint CKPT`` use this, so that a checkpoint of one
    model is never run (and its outputs labelled) as another.
    """
    local = Path(path)
    if not local.exists():
        raise ZooError(f"{local} does not exist; give a checkpoint, a model folder or a model id.")
    model = _load_local(local, overrides, allow_pickle, expect=model_id)
    return model.to(parse_device(device)).eval()


def _fetch_published(
    repo_id: str,
    revision: str | None,
    source: str | None,
    expected: dict[str, str] | None,
    *,
    snapshot: bool = False,
    cache_dir: str | Path | None = None,
    local_files_only: bool = False,
) -> tuple[hub.Fetched, cards.ModelCard | None]:
    """Fetch a published repo; when ``expected`` is None its own card lists the sha256s.

    The revision is resolved to one commit first, so the card and the files it lists come
    from the same push. Files whose sha256 differs are dropped from the cache and, online,
    downloaded once more (a cached copy damaged on disk heals itself); what still differs
    is raised, and offline the error says that the damaged copy was removed.
    """
    from zoo_core.weights import verify

    src = _source(source, cache_dir, local_files_only)
    revision = src.resolve(repo_id, revision)
    card = None
    if expected is None:
        card_files = src.fetch(repo_id, [CARD_FILE], revision)
        card = cards.read(card_files.files[CARD_FILE])
        weights = card.weights
        if not weights or not weights.get("files"):
            raise NoWeightsError(f"{repo_id}: its model card lists no weight files with sha256.")
        expected = dict(weights["files"])
        revision = card_files.commit  # the files must come from the same commit as the card
    getter = src.snapshot if snapshot else src.fetch
    fetched = getter(repo_id, sorted(expected), revision)
    try:
        verify(fetched.files, expected)
    except WeightsIntegrityError as first:
        src.evict(fetched.files)
        if not src.can_refetch():
            if isinstance(src, hub.HFSource):
                raise WeightsIntegrityError(
                    f"{repo_id}: {first} The damaged copy was removed from the cache; "
                    "HF_HUB_OFFLINE is set, so go online and load again to fetch it."
                ) from first
            raise
        fetched = getter(repo_id, sorted(expected), revision)
        try:
            verify(fetched.files, expected)
        except WeightsIntegrityError:
            src.evict(fetched.files)
            raise
    return fetched, card


def _source(
    source: str | None, cache_dir: str | Path | None, local_files_only: bool
) -> hub.HFSource | hub.DirSource:
    """The hub to fetch from; the per-load options are passed only when given, so a stand-in
    for ``hub.get_source`` (the tests' and the kit's "no hub" guards) need not know them."""
    options: dict[str, Any] = {}
    if cache_dir is not None:
        options["cache_dir"] = cache_dir
    if local_files_only:
        options["local_files_only"] = True
    return hub.get_source(source, **options)


def _as_dtype(dtype: Any, device: Any = "cpu") -> Any:
    """``torch.float16``, or its name (``"float16"``, ``"fp16"``, ``"bf16"``...), as a dtype;
    ``"auto"`` is the fastest precision that ``device`` does well (``zoo_core.precision``)."""
    import torch

    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    if str(dtype).lower() == "auto":
        return precision.resolve("auto", parse_device(device)) or torch.float32
    aliases = {"fp32": "float32", "fp16": "float16", "half": "float16", "bf16": "bfloat16"}
    name = aliases.get(str(dtype).lower().removeprefix("torch."), str(dtype).lower())
    found = getattr(torch, name.removeprefix("torch."), None)
    if not isinstance(found, torch.dtype) or not found.is_floating_point:
        raise ZooError(f"dtype {dtype!r} is not a floating-point torch dtype (e.g. 'bfloat16').")
    return found


def _weights_file(files: dict[str, Path], where: str) -> Path:
    """The weights among fetched files: model.safetensors, else any safetensors, else pickle."""
    from zoo_core.weights import PICKLE_SUFFIXES, SAFE_SUFFIXES

    if WEIGHTS_FILE in files:
        return files[WEIGHTS_FILE]
    for suffixes in (SAFE_SUFFIXES, PICKLE_SUFFIXES):
        for name in sorted(files):
            if name.endswith(suffixes):
                return files[name]
    raise ZooError(f"{where}: the model card lists no weights file (e.g. {WEIGHTS_FILE}).")


def _load_weights(model: GANModel, path: Path, allow_pickle: bool) -> None:
    from zoo_core.weights import load_state_dict

    _fit_state(model, load_state_dict(path, allow_pickle=allow_pickle), path.name)


def _load_shipped(
    spec: ModelSpec, overrides: list[str] | None, allow_pickle: bool
) -> tuple[GANModel, dict[str, Any]]:
    """Build from the config shipped with the weights and load them, after every sha256
    the folder's card lists has matched (nothing is read before)."""
    shipped = shipped_weights.verified(spec)
    arch = get_registry().architecture(spec.architecture)
    cfg = zoo_config.load(arch, shipped.files[CONFIG_FILE], overrides)
    model = build(spec.architecture, cfg)
    _load_weights(model, _weights_file(shipped.files, spec.id), allow_pickle)
    info = {
        "repo_id": shipped.repo_id,
        "revision": shipped.revision,
        "source": shipped.source,
        "sha256": dict(shipped.sha256),
    }
    return model, info


def load(
    model_id: str,
    *,
    pretrained: bool = True,
    device: str = "cpu",
    revision: str | None = None,
    source: str | None = None,
    overrides: list[str] | None = None,
    allow_pickle: bool = False,
    dtype: Any = None,
    local_files_only: bool = False,
    cache_dir: str | Path | None = None,
    init_seed: int | None = None,
) -> GANModel:
    """Load a model by registered id, by published repo id (``ORG/NAME``) or from a local
    training checkpoint or model folder (a path that exists).

    ``pretrained=False`` returns the paper's architecture freshly initialised, from
    ``init_seed`` when one is given (so an untrained reference figure can be reproduced; the
    caller's random state is left as it was). ``revision``
    pins a commit, branch or tag; ``source`` is ``"hf"`` or ``"dir:PATH"`` (default:
    ``$ZOO_HUB`` or the Hugging Face Hub). Weights shipped in the plugin's package are used
    when neither ``source`` nor another ``revision`` than the card's is asked for.

    As in huggingface_hub and diffusers: ``local_files_only`` reads the cache alone (no
    request; an uncached file is an error), ``cache_dir`` uses another cache than
    ``HF_HUB_CACHE``, and ``dtype`` (``torch.bfloat16``, ``"bf16"``, ``"fp16"``, ``"fp32"``,
    or ``"auto"``: bf16 on CPUs with bf16 matrix units and on GPUs that have it, fp16 on other
    GPUs, else fp32) casts the weights after every sha256 has matched; ``generate`` then runs
    in that dtype and returns float32. Convolution weights are stored channels-last (same
    values). ``GANModel.from_pretrained`` is the same call.
    """
    from zoo_core.interfaces.model import GANModel

    dtype = _as_dtype(dtype, device)
    hub_options = {"cache_dir": cache_dir, "local_files_only": local_files_only}
    if _is_local(model_id):
        model = load_local(model_id, device=device, overrides=overrides, allow_pickle=allow_pickle)
    elif _is_repo_id(model_id):
        fetched, card = _fetch_published(model_id, revision, source, None, **hub_options)
        arch_name = card.zoo.get("architecture")
        arch = get_registry().architecture(arch_name)
        if CONFIG_FILE not in fetched.files:
            raise ZooError(
                f"{model_id}: its model card does not list {CONFIG_FILE} (with its sha256), "
                "so the architecture's settings are unknown. Publish with `zoo push`."
            )
        cfg = zoo_config.load(arch, fetched.files[CONFIG_FILE], overrides)
        model = build(arch_name, cfg)
        _load_weights(model, _weights_file(fetched.files, model_id), allow_pickle)
        info = {"repo_id": model_id, "revision": fetched.commit, "source": fetched.source}
        info["sha256"] = dict(card.weights["files"])
        model = _attach(model, card.zoo.get("id", model_id), card, info)
    else:
        spec = model_spec(model_id)
        card = cards.read(spec.card_path())
        if not pretrained:
            import torch

            with torch.random.fork_rng(devices=[]):
                if init_seed is not None:
                    torch.manual_seed(init_seed)
                model = build(spec.architecture, model_config(model_id, overrides))
            model = _attach(model, model_id, card, {"pretrained": False})
        elif shipped_weights.uses_shipped(spec, revision, source):
            model, info = _load_shipped(spec, overrides, allow_pickle)
            model = _attach(model, model_id, card, info)
        else:
            weights = card.weights
            if not weights:
                raise NoWeightsError(
                    f"No weights are published for {model_id} yet (its model card says so). "
                    f"Use zoo.load({model_id!r}, pretrained=False) for the untrained "
                    f"architecture, or train one with `zoo train {model_id} --data DIR` and "
                    "publish it with `zoo push CHECKPOINT --repo-id ORG/NAME`."
                )
            pinned = weights.get("revision")
            expected = dict(weights["files"]) if revision in (None, pinned) else None
            fetched, _ = _fetch_published(
                weights["repo_id"], revision or pinned, source, expected, **hub_options
            )
            arch = get_registry().architecture(spec.architecture)
            cfg_path = fetched.files.get(CONFIG_FILE, spec.config_path())
            model = build(spec.architecture, zoo_config.load(arch, cfg_path, overrides))
            _load_weights(model, _weights_file(fetched.files, model_id), allow_pickle)
            info = {
                "repo_id": weights["repo_id"],
                "revision": fetched.commit,
                "source": fetched.source,
                "sha256": {n: s for n, s in (expected or {}).items()},
            }
            model = _attach(model, model_id, card, info)
    if not isinstance(model, GANModel):  # pragma: no cover - build() checks
        raise ZooError("internal: builder did not return a GANModel")
    # Channels-last convolution weights: the same values, in the layout oneDNN and cuDNN are
    # fastest in (1.0-1.6x for the seed generators on a 2-core CPU, never slower).
    model = precision.to_channels_last(model.to(parse_device(device)))
    return (model if dtype is None else model.to(dtype)).eval()


def download(
    model_id: str,
    revision: str | None = None,
    source: str | None = None,
    *,
    cache_dir: str | Path | None = None,
    local_files_only: bool = False,
) -> hub.Fetched:
    """Fill the cache with a model's published files (checked against their sha256).

    For weights shipped in the plugin's package there is nothing to fetch: the shipped
    files are checked and returned, with ``source`` ``"shipped:<folder>"``. ``cache_dir``
    and ``local_files_only`` mean what they mean for :func:`load`.
    """
    hub_options = {"cache_dir": cache_dir, "local_files_only": local_files_only}
    if _is_repo_id(model_id):
        fetched, _ = _fetch_published(
            model_id, revision, source, None, snapshot=True, **hub_options
        )
        return fetched
    spec = model_spec(model_id)
    if shipped_weights.uses_shipped(spec, revision, source):
        shipped = shipped_weights.verified(spec)
        return hub.Fetched(dict(shipped.files), shipped.revision, shipped.source)
    card = model_card(model_id)
    weights = card.weights
    if not weights:
        raise NoWeightsError(f"No weights are published for {model_id} yet; nothing to download.")
    pinned = weights.get("revision")
    expected = dict(weights["files"]) if revision in (None, pinned) else None
    fetched, _ = _fetch_published(
        weights["repo_id"], revision or pinned, source, expected, snapshot=True, **hub_options
    )
    return fetched


@dataclass
class PushResult:
    repo_id: str
    commit: str
    source: str
    files: dict[str, str]
    model_id: str


def _stage_from_checkpoint(path: Path, staging: Path) -> tuple[str, list[str]]:
    """Weights and config.yaml of a training checkpoint; returns its model id and the
    trainer's notes for the card (``extra_state()["card_notes"]``)."""
    from zoo_core import checkpoint
    from zoo_core.weights import save_state_dict

    groups, info = checkpoint.read(path)
    weights = checkpoint.inference_weights(groups)
    save_state_dict(weights, staging / WEIGHTS_FILE)
    (staging / CONFIG_FILE).write_text(info["config"])
    return info["model_id"], _stage_notes(info)


def _stage_notes(info: dict[str, Any]) -> list[str]:
    """The trainer's notes for the card, from a checkpoint's ``info``."""
    extra = (info.get("state") or {}).get("extra") or {}
    return [str(note) for note in extra.get("card_notes", [])]


def _with_notes(card: cards.ModelCard, notes: list[str]) -> cards.ModelCard:
    """The card with the training run's notes in its limitations and in its text."""
    if not notes:
        return card
    metadata = dict(card.metadata)
    metadata["zoo"] = dict(card.zoo)
    metadata["zoo"]["limitations"] = " ".join([str(card.zoo.get("limitations", "")), *notes])
    body = card.body.rstrip() + "\n\n## Notes from training\n\n"
    body += "".join(f"- {note}\n" for note in notes)
    return cards.ModelCard(metadata, body, card.source)


def _verified_listing(folder: Path, card: cards.ModelCard | None) -> dict[str, str] | None:
    """The files a folder's card lists with their sha256, if every one of them matches.

    Such a folder (one ``zoo ship`` wrote, or a downloaded snapshot) is published as it is;
    a folder whose files were changed since gets a card with freshly computed sha256.
    """
    from zoo_core.weights import verify

    listed = dict(((card.weights if card else None) or {}).get("files") or {})
    if not {WEIGHTS_FILE, CONFIG_FILE} <= set(listed):
        return None
    present = {name: folder / name for name in listed if (folder / name).is_file()}
    try:
        verify(present, listed)
    except WeightsIntegrityError:
        return None
    return listed


def _with_metrics(
    metadata: dict[str, Any],
    metrics: dict[str, Any] | str | Path,
    dataset: str | None,
    model_id: str,
) -> dict[str, Any]:
    """The card's metadata with ``zoo evaluate``'s numbers in its ``model-index``."""
    import json

    from zoo_core import cards_hub

    if not isinstance(metrics, dict):
        try:
            metrics = json.loads(Path(metrics).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ZooError(f"cannot read the evaluation JSON {metrics}: {exc}") from None
    result = cards_hub.evaluation_result(metadata["zoo"], metrics, dataset)
    return cards_hub.with_evaluation(metadata, result, model_id)


def push(
    path: str | Path,
    repo_id: str,
    *,
    to: str | None = None,
    model_id: str | None = None,
    commit_message: str | None = None,
    private: bool = False,
    metrics: dict[str, Any] | str | Path | None = None,
    metrics_dataset: str | None = None,
) -> PushResult:
    """Publish weights, config.yaml and a README.md model card in one commit.

    ``metrics`` is ``zoo evaluate --json``'s output (a dict, or the path of its JSON file,
    e.g. ``metrics.json``): its numbers become a ``model-index`` result of the card, on the
    dataset named ``metrics_dataset``, so the Hub shows them as evaluation results.

    ``path`` is a training checkpoint (``.safetensors`` written by ``zoo train``) or a folder
    with ``model.safetensors`` and ``config.yaml`` (and optionally ``README.md``). The card is
    the registered model's card with ``zoo.weights`` filled in (sha256 of every file). A
    folder whose README.md already lists the sha256 of its files (a shipped weights folder)
    is published unchanged: the same bytes, the card included when it already names
    ``repo_id`` (otherwise only its ``zoo.weights`` is rewritten).
    """
    from huggingface_hub import ModelCard

    from zoo_core.weights import sha256_file

    hub.check_repo_id(repo_id)
    path = Path(path)
    src = hub.get_source(to)
    with tempfile.TemporaryDirectory(prefix="zoo-push-") as tmp:
        staging = Path(tmp)
        notes: list[str] = []
        listed: dict[str, str] | None = None
        if path.is_dir():
            for name in (WEIGHTS_FILE, CONFIG_FILE):
                if not (path / name).is_file():
                    raise ZooError(f"{path} has no {name}; push a checkpoint or a full folder.")
            base_card = cards.read(path / CARD_FILE) if (path / CARD_FILE).is_file() else None
            listed = _verified_listing(path, base_card)
            for name in listed or (WEIGHTS_FILE, CONFIG_FILE):
                (staging / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path / name, staging / name)
            model_id = model_id or (base_card.zoo.get("id") if base_card else None)
        elif path.is_file():
            ckpt_model_id, notes = _stage_from_checkpoint(path, staging)
            model_id = model_id or ckpt_model_id
            base_card = None
        else:
            raise ZooError(f"{path} does not exist; pass a checkpoint file or a folder.")
        if not model_id:
            raise ZooError("cannot tell which model this is: pass --model-id ID.")
        if base_card is None:
            base_card = model_card(model_id)
        base_card = _with_notes(base_card, notes)
        # The config must fit the architecture before anything is published.
        arch = get_registry().architecture(base_card.zoo["architecture"])
        try:
            zoo_config.load(arch, staging / CONFIG_FILE)
        except ConfigError as exc:
            where = path / CONFIG_FILE if path.is_dir() else path  # the user's file, not ours
            message = str(exc).replace(str(staging / CONFIG_FILE), str(where))
            raise ZooError(f"refusing to publish: {message}") from None

        files = listed or {
            name: sha256_file(staging / name) for name in (WEIGHTS_FILE, CONFIG_FILE)
        }
        metadata = dict(base_card.metadata)
        metadata["zoo"] = dict(base_card.zoo)
        metadata["zoo"]["weights"] = {"repo_id": repo_id, "revision": None, "files": files}
        if metrics is not None:
            metadata = _with_metrics(metadata, metrics, metrics_dataset, model_id)
        card = cards.for_hub(cards.ModelCard(metadata, base_card.body, f"{repo_id}/{CARD_FILE}"))
        cards.validate(card)
        if listed is not None and card.metadata == base_card.metadata:
            shutil.copy2(path / CARD_FILE, staging / CARD_FILE)  # byte for byte, as shipped
        else:
            ModelCard(card.text()).save(staging / CARD_FILE)
        message = commit_message or f"Publish {model_id} weights with zoo-core"
        commit = src.publish(staging, repo_id, message, private=private)
    return PushResult(repo_id, commit, src.describe(), files, model_id)
