"""What every architecture must satisfy, whoever wrote it.

For each model id a plugin registers: its card validates and agrees with the registry, its
config loads against the architecture's schema, and at a tiny config the model builds, its
training forward gives the data's shape with no NaN, one backward reaches every trainable
parameter, generate() honours the card's channels and value range, and a safetensors round
trip is bit-exact. Importing the plugin must not import torch.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

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


def _generate(model, batch, batch_size: int, seed: int):
    if model.conditional:
        return model.generate(condition=batch["condition"], seed=seed)
    return model.generate(n=batch_size, seed=seed)


def check_plugin(plugin: str, tiny: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Run every check on every model id the plugin registers; returns the ids checked.

    ``plugin`` is the plugin's name (its entry-point name) or its module; ``tiny`` maps a model
    id to the dotlist overrides that make it small enough for a test.
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

    specs = [s for s in get_registry().models.values() if s.plugin == info.name]
    if not specs:
        raise ConformanceError(f"plugin {info.name!r} registers no model id")
    for spec in specs:
        check_card(spec)
        check_architecture(spec, (tiny or {}).get(spec.id, ()))
    return [s.id for s in specs]
