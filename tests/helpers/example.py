"""The plugin template, rendered and installed as a real plugin, plus checkpoints of it.

``zoo new-plugin`` output is the architecture these tests push and load: it is what a third
party starts from, so a round trip through it is a round trip through the public API only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers.dists import PluginSite
from zoo_core import cards
from zoo_core.cli.scaffold import render_plugin

#: Shrinks the template's DCGAN so that pushes and loads take milliseconds.
TINY = [
    "model.base_filters=4",
    "model.latent_dim=8",
    "model.resolution=16",
    "data.spatial_size=[16,16]",
]


def render_example(site: PluginSite, name: str, author: str = "you") -> str:
    """Render ``zoo-NAME`` into the site, expose it as an installed plugin; returns its id."""
    project = render_plugin(name, author, site.root)
    site.add_rendered(project)
    return f"{author}-{name}-example"


def card_path(site: PluginSite, name: str, model_id: str) -> Path:
    return site.root / f"zoo-{name}" / f"zoo_{name}" / "model_cards" / f"{model_id}.md"


def set_card_weights(path: Path, weights: dict[str, Any] | None) -> None:
    """Rewrite the ``zoo.weights`` entry of a card, as a maintainer does after publishing."""
    card = cards.read(path)
    card.metadata["zoo"]["weights"] = weights
    path.write_text(card.text(), encoding="utf-8")


def make_checkpoint(model_id: str, folder: Path, seed: int) -> tuple[Path, dict]:
    """A training checkpoint of a freshly initialised tiny model, and its state dict."""
    import torch

    import zoo_core as zoo
    from zoo_core import checkpoint
    from zoo_core import config as zoo_config

    torch.manual_seed(seed)
    model = zoo.load(model_id, pretrained=False, overrides=TINY)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    path = checkpoint.write(
        folder / f"ckpt-seed{seed}.safetensors",
        {"model": state},
        model_id=model_id,
        config_yaml=zoo_config.to_yaml(model.config),
        state={"step": 0},
    )
    return path, state


def assert_same_state(model, state: dict) -> None:
    import torch

    loaded = model.state_dict()
    assert sorted(loaded) == sorted(state)
    for key, tensor in state.items():
        assert loaded[key].dtype == tensor.dtype, key
        assert torch.equal(loaded[key], tensor), f"{key} differs after the round trip"
