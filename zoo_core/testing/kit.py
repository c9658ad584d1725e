"""What every architecture must satisfy, whoever wrote it.

For each model id a plugin registers: its card validates and agrees with the registry, its
config loads against the architecture's schema, and at a tiny config the model builds, its
training forward gives the data's shape with no NaN, one backward reaches every trainable
parameter, generate() honours the card's channels and value range, and a safetensors round
trip is bit-exact. It trains: two steps through the architecture's own trainer and dataset
change both networks with finite losses, and each player's loss lowers that player's
objective (:mod:`zoo_core.testing.training`). Importing the plugin must not import torch.
Weights a plugin ships in its package load by id with every hub refused, match their card's
sha256 and fit the architecture.

The tiny config of an id is its architecture's ``ArchSpec.tiny`` unless the caller gives
other overrides.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from zoo_core import cards
from zoo_core import config as zoo_config
from zoo_core.registry import ModelSpec, get_registry


class ConformanceError(AssertionError):
    """A plugin that breaks the zoo's contract; the message says which check and why."""


def _fail(spec_id: str, message: str) -> None:
    raise ConformanceError(f"{spec_id}: {message}")


def check_import_is_light(module: str) -> None:
    """Importing the plugin module (what ``zoo list`` does) must not import torch."""
    code = (
        f"import sys, {module}\n"
        "heavy = [m for m in ('torch', 'monai', 'timm') if m in sys.modules]\n"
        "sys.exit('imports ' + ', '.join(heavy) if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if result.returncode != 0:
        raise ConformanceError(
            f"importing {module} {result.stderr.strip() or 'failed'}: keep torch imports "
            "inside builders (name them as 'module:function' strings)."
        )


def check_card(spec: ModelSpec) -> cards.ModelCard:
    """The card validates, names the same id and architecture, and the config loads."""
    card = cards.read(spec.card_path())
    cards.validate(card)
    if card.zoo["id"] != spec.id:
        _fail(spec.id, f"card says id {card.zoo['id']!r}")
    if card.zoo["architecture"] != spec.architecture:
        _fail(
            spec.id,
            f"card says architecture {card.zoo['architecture']!r}, "
            f"registry says {spec.architecture!r}",
        )
    arch = get_registry().architecture(spec.architecture)
    zoo_config.load(arch, spec.config_path())
    return card


def check_architecture(spec: ModelSpec, overrides: Sequence[str] = (), batch_size: int = 2) -> None:
    """Build at a tiny config and exercise forward, backward, generate and a weights round trip."""
    import torch

    from zoo_core.api import build
    from zoo_core.weights import load_state_dict, save_state_dict

    card = cards.read(spec.card_path())
    arch = get_registry().architecture(spec.architecture)
    cfg = zoo_config.load(arch, spec.config_path(), list(overrides))
    torch.manual_seed(0)
    model = build(spec.architecture, cfg)
    model.train()

    batch = model.example_batch(batch_size)
    batch = model.prepare_batch(batch)
    fake = model.fake_batch(batch)
    target = batch.get("target")
    if target is not None and tuple(fake.shape) != tuple(target.shape):
        _fail(spec.id, f"fake_batch gives {tuple(fake.shape)}, data has {tuple(target.shape)}")
    if not torch.isfinite(fake).all():
        _fail(spec.id, "fake_batch output has NaN or inf")

    scores = model.critic(fake, batch)
    loss = scores.float().mean() + fake.float().mean()
    if target is not None:
        loss = loss + model.critic(target, batch).float().mean()
    loss = loss + model.auxiliary_loss(batch, fake)
    loss.backward()
    trainable = {id(p) for p in model.generator_parameters() + model.discriminator_parameters()}
    unreached = [
        name
        for name, p in model.named_parameters()
        if id(p) in trainable and p.requires_grad and (p.grad is None or not p.grad.abs().sum() > 0)
    ]
    if unreached:
        _fail(spec.id, f"backward does not reach {len(unreached)} parameter(s): {unreached[:6]}")

    outputs = card.zoo["outputs"]
    channels = sum(len(o["channels"]) for o in outputs)
    low, high = min(o["value_range"][0] for o in outputs), max(o["value_range"][1] for o in outputs)
    generated = _generate(model, batch, batch_size, seed=0)
    if generated.ndim != 2 + card.zoo["dims"]:
        dims = card.zoo["dims"]
        _fail(spec.id, f"generate() gives {generated.ndim}-d tensors for a {dims}D card")
    if generated.shape[1] != channels:
        got = generated.shape[1]
        _fail(spec.id, f"generate() gives {got} channels; the card declares {channels}")
    if not torch.isfinite(generated).all() or generated.min() < low or generated.max() > high:
        _fail(spec.id, f"generate() leaves the card's value range [{low}, {high}] or is not finite")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.safetensors"
        save_state_dict(model.state_dict(), path)
        fresh = build(spec.architecture, cfg)
        fresh.load_state_dict(load_state_dict(path), strict=True)
    for name, tensor in model.state_dict().items():
        if not torch.equal(tensor, fresh.state_dict()[name]):
            _fail(spec.id, f"safetensors round trip changed {name}")
    if not torch.equal(_generate(fresh, batch, batch_size, seed=0), generated):
        _fail(spec.id, "generate(seed=0) differs after a weights round trip")


#: Largest file a plugin may ship in its package (a wheel is downloaded whole by every user).
MAX_SHIPPED_FILE_BYTES = 20 * 2**20


@contextmanager
def _no_hub() -> Iterator[None]:
    """Make any hub access fail (and huggingface_hub offline) while the block runs."""
    import os

    from zoo_core import hub

    def refuse(source: str | None = None):
        raise ConformanceError(f"loading shipped weights reached for a hub ({source or 'default'})")

    saved, saved_env = hub.get_source, os.environ.get("HF_HUB_OFFLINE")
    hub.get_source, os.environ["HF_HUB_OFFLINE"] = refuse, "1"
    try:
        yield
    finally:
        hub.get_source = saved
        if saved_env is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = saved_env


def _check_shipped_listing(spec: ModelSpec, folder: Path, max_file_bytes: int) -> dict[str, str]:
    """Every file but the card is listed with its sha256, all match, none is too large."""
    from zoo_core.registry import SHIPPED_CARD
    from zoo_core.weights import verify

    card = cards.read(folder / SHIPPED_CARD)
    listed = dict((card.weights or {}).get("files") or {})
    present = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != SHIPPED_CARD
    }
    if present != set(listed):
        _fail(
            spec.id,
            f"{folder}: the card lists {sorted(listed)}, the folder holds {sorted(present)}; "
            "every shipped file must be listed with its sha256 (write it with `zoo ship`)",
        )
    verify({name: folder / name for name in listed}, listed)
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.stat().st_size > max_file_bytes:
            mib = path.stat().st_size / 2**20
            _fail(
                spec.id,
                f"{path} is {mib:.1f} MiB; shipped files must stay under "
                f"{max_file_bytes / 2**20:.0f} MiB (publish larger weights on the Hub)",
            )
    return listed


def check_shipped_weights(spec: ModelSpec, max_file_bytes: int = MAX_SHIPPED_FILE_BYTES) -> int:
    """The weights a plugin ships load by id without any hub and fit their architecture.

    Checks that the folder's card validates and lists the sha256 of every other file (all
    matching), that no file exceeds ``max_file_bytes``, that ``zoo.load(spec.id)`` reads the
    folder with every hub refused, and that each tensor has the shape the architecture built
    from the shipped config.yaml gives it (only the discriminator's may be left out). Returns
    the folder's size in bytes, so a test can bound what all plugins ship together.
    """
    import torch

    import zoo_core as zoo
    from zoo_core.api import build
    from zoo_core.weights import load_state_dict

    folder = spec.weights_path()
    if folder is None or not folder.is_dir():
        _fail(spec.id, f"ships weights in {spec.weights!r}, but {folder} is no folder")
    check_card(spec)
    listed = _check_shipped_listing(spec, folder, max_file_bytes)
    with _no_hub():
        model = zoo.load(spec.id)
    if model.weights_info.get("source") != f"shipped:{folder}":
        _fail(spec.id, f"zoo.load did not read {folder}: {model.weights_info}")
    if model.weights_info.get("sha256") != listed:
        _fail(spec.id, "zoo.load records other sha256 than the shipped card lists")
    arch = get_registry().architecture(spec.architecture)
    fresh = build(spec.architecture, zoo_config.load(arch, folder / "config.yaml"))
    expected = fresh.state_dict()
    state = load_state_dict(folder / "model.safetensors")
    unexpected = sorted(set(state) - set(expected))
    missing = sorted(set(expected) - set(state) - fresh.discriminator_state_keys())
    if unexpected or missing:
        _fail(spec.id, f"shipped weights: unexpected {unexpected[:5]}, missing {missing[:5]}")
    loaded = model.state_dict()
    for key, tensor in state.items():
        if tuple(tensor.shape) != tuple(expected[key].shape):
            _fail(
                spec.id,
                f"{key} is {tuple(tensor.shape)}, the config builds {tuple(expected[key].shape)}",
            )
        if not torch.equal(loaded[key].cpu(), tensor.to(expected[key].dtype)):
            _fail(spec.id, f"zoo.load did not load the shipped {key}")
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def shipped_weight_keys(model_id: str) -> set[str]:
    """The tensor names in the shipped model.safetensors of ``model_id``, read from its
    header only: what a plugin's test checks to see that no discriminator ships."""
    from safetensors import safe_open

    from zoo_core.api import model_spec

    with safe_open(str(model_spec(model_id).weights_path() / "model.safetensors"), "pt") as f:
        return set(f.keys())


def _generate(model, batch, batch_size: int, seed: int):
    if model.conditional:
        return model.generate(condition=batch["condition"], seed=seed)
    return model.generate(n=batch_size, seed=seed)


def check_callbacks(plugin: str) -> int:
    """Every callback the plugin's architectures name imports and fits its protocol.

    The core checks a callback only when it first needs it (a dataset at ``zoo train``, an
    evaluation at ``zoo evaluate``), so without this a wrong signature would surface in a
    user's command rather than in the plugin's tests. Returns how many were checked.
    """
    from zoo_core.errors import PluginError

    checked = 0
    for arch in get_registry().architectures.values():
        if arch.plugin != plugin:
            continue
        for callback in arch.callbacks():
            try:
                arch.resolve(callback)
            except PluginError as exc:
                raise ConformanceError(str(exc)) from None
            checked += 1
    return checked


def tiny_overrides(spec: ModelSpec | str) -> list[str]:
    """The dotlist overrides that make a model id small enough for a test: its
    architecture's ``ArchSpec.tiny``."""
    if isinstance(spec, str):
        spec = get_registry().model(spec)
    return list(get_registry().architecture(spec.architecture).tiny)


def tiny_config(model_id: str, *overrides: str, tiny: bool = True) -> Any:
    """The id's config at its architecture's tiny size (``tiny=False``: the paper's), with
    more dotlist ``overrides`` on top: what a plugin's tests build their models from."""
    from zoo_core.api import model_config

    return model_config(model_id, [*(tiny_overrides(model_id) if tiny else []), *overrides])


def tiny_model(model_id: str, *overrides: str, tiny: bool = True, seed: int = 0) -> Any:
    """The id's model built from :func:`tiny_config` under ``torch.manual_seed(seed)``."""
    import torch

    from zoo_core.api import build

    cfg = tiny_config(model_id, *overrides, tiny=tiny)
    torch.manual_seed(seed)
    return build(get_registry().model(model_id).architecture, cfg)


def check_model(spec: ModelSpec | str, overrides: Sequence[str] | None = None) -> None:
    """Every per-id check on one model id: card and config, the model at the tiny config
    (``overrides``, default :func:`tiny_overrides`), two training steps and the direction
    of each loss, and the weights it ships.

    Torch runs on one thread meanwhile: tiny networks gain nothing from more, and on cores
    other processes share, more threads make them many times slower.
    """
    import torch

    from zoo_core.testing.training import check_training

    if isinstance(spec, str):
        spec = get_registry().model(spec)
    tiny = tiny_overrides(spec) if overrides is None else list(overrides)
    check_card(spec)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        check_architecture(spec, tiny)
        check_training(spec, tiny)
        if spec.weights is not None:
            check_shipped_weights(spec)
    finally:
        torch.set_num_threads(threads)


def check_plugin(plugin: str, tiny: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Run every check on every model id the plugin registers; returns the ids checked.

    ``plugin`` is the plugin's name (its entry-point name) or its module; ``tiny`` maps a model
    id to the dotlist overrides that make it small enough for a test, in place of its
    architecture's ``ArchSpec.tiny``.
    """
    from zoo_core.plugins import get_plugin_manager, plugin_infos

    infos = {i.name: i for i in plugin_infos()}
    info = infos.get(plugin) or next((i for i in infos.values() if i.module == plugin), None)
    if info is None:
        raise ConformanceError(f"plugin {plugin!r} is not installed (see `zoo plugins`)")
    if info.errors:
        raise ConformanceError(f"plugin {info.name!r} has load errors: {info.errors}")
    module = info.module.partition(":")[0]
    if get_plugin_manager().get_plugin(info.name) is None:
        raise ConformanceError(f"plugin {info.name!r} is not registered")
    check_import_is_light(module)

    check_callbacks(info.name)
    specs = [s for s in get_registry().models.values() if s.plugin == info.name]
    if not specs:
        raise ConformanceError(f"plugin {info.name!r} registers no model id")
    for spec in specs:
        check_model(spec, (tiny or {}).get(spec.id))
    return [s.id for s in specs]
