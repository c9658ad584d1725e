"""Small fake plugins: a working toy, one that fails to import, one with a misspelled hook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers.cards import card_text
from helpers.dists import PluginSite

_TOY_INIT = """
from dataclasses import dataclass

from zoo_core import ArchSpec, ModelSpec, hookimpl


@dataclass
class ToyConfig:
    width: int = 4


@hookimpl
def register_architectures(register):
    register(ArchSpec(name="{arch}", builder="{package}.model:build", config=ToyConfig))


@hookimpl
def {models_hook}(register):
    for model_id in {ids!r}:
        register(
            ModelSpec(
                id=model_id,
                architecture="{arch}",
                config="{package}:configs/" + model_id + ".yaml",
                card="{package}:model_cards/" + model_id + ".md",
            )
        )
"""


def toy_plugin(
    site: PluginSite,
    name: str,
    models: dict[str, dict[str, Any]],
    *,
    models_hook: str = "register_models",
    extra: str = "",
) -> Path:
    """A plugin ``name`` registering architecture ``name`` and one card per model id.

    ``models`` maps ids to card keyword arguments (modality, task, dims, weights);
    ``models_hook`` lets a test misspell the hook; ``extra`` is appended to ``__init__.py``.
    """
    package = f"zoo_fake_{name}"
    files = {
        "__init__.py": _TOY_INIT.format(
            arch=name, package=package, ids=list(models), models_hook=models_hook
        )
        + extra,
    }
    for model_id, card_kwargs in models.items():
        files[f"model_cards/{model_id}.md"] = card_text(model_id, name, **card_kwargs)
        files[f"configs/{model_id}.yaml"] = "model:\n  width: 4\n"
    return site.add_package(f"zoo-fake-{name}", name, package, files)


def broken_plugin(site: PluginSite, name: str) -> Path:
    """A plugin whose import fails, as with a missing dependency."""
    package = f"zoo_fake_{name}"
    files = {"__init__.py": "import a_module_that_is_not_installed  # noqa: F401\n"}
    return site.add_package(f"zoo-fake-{name}", name, package, files)
