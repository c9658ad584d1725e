"""The repository's configs/ and model_cards/ index every first-party model, and nothing else.

The files themselves live inside each plugin package (so an installed plugin carries them);
the root folders are symlinks so a reader finds every config and card in one place.
Run scripts/link-first-party-files after adding a model id.
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("folder", "pattern"), [("configs", "*.yaml"), ("model_cards", "*.md")])
def test_root_folder_links_every_plugin_file(folder: str, pattern: str) -> None:
    in_plugins = {p.name: p.resolve() for p in ROOT.glob(f"plugins/*/zoo_*/{folder}/{pattern}")}
    if folder == "model_cards":  # a model whose weights ship has the weights' README as card
        shipped = ROOT.glob("plugins/*/zoo_*/weights/*/README.md")
        in_plugins |= {f"{p.parent.name}.md": p.resolve() for p in shipped}
    linked = {p.name: p.resolve() for p in (ROOT / folder).glob(pattern)}
    assert in_plugins, f"no plugin ships {folder}"
    assert linked == in_plugins, "run scripts/link-first-party-files"


def test_every_registered_first_party_id_has_config_and_card() -> None:
    from zoo_core.registry import get_registry

    registry = get_registry()
    first_party = [s for s in registry.models.values() if "plugins" in str(s.card_path())]
    assert first_party
    for spec in first_party:
        assert (ROOT / "configs" / f"{spec.id}.yaml").resolve() == spec.config_path().resolve()
        assert (ROOT / "model_cards" / f"{spec.id}.md").resolve() == spec.card_path().resolve()
