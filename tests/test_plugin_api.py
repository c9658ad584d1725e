"""The plugin surface: one module, complete, light, used by the first-party plugins, documented.

A plugin that imports from the core's inner modules breaks whenever the core moves a room; a
hook or callback that CONTRIBUTING.md does not describe is one a plugin author cannot find
(the docs meta-test follows datasette's ``test_docs.py``).
"""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from zoo_core import callbacks, hookspecs, plugin_api
from zoo_core.registry import ArchSpec

ROOT = Path(__file__).resolve().parents[1]
CONTRIBUTING = (ROOT / "CONTRIBUTING.md").read_text()
PLUGIN_PACKAGES = sorted(p for p in (ROOT / "plugins").glob("zoo-*/zoo_*") if p.is_dir())

#: Modules a plugin may import from: the user's API (``import zoo_core as zoo``), the plugin
#: surface, and the conformance kit (for tests and for plugins that test others).
PUBLIC = {"zoo_core", "zoo_core.plugin_api", "zoo_core.testing"}
#: Imports of inner modules that remain, each with why (file -> modules). Shrink, never grow.
REMAINING = {
    # zoo_demo's publishing step shows the internals it demonstrates: checkpoint groups and
    # hub sources, which are not a plugin's business otherwise.
    "zoo-demo/zoo_demo/publish.py": {"zoo_core.checkpoint", "zoo_core.hub"},
    # Sample writing moved into zoo_core.generation (SampleWriter, issue 17 point 1); these
    # files go through it until plugin_api lists it.
    "zoo-demo/zoo_demo/samples.py": {"zoo_core.generation", "zoo_core.io"},
    "zoo-pggan/zoo_pggan/outputs.py": {"zoo_core.generation", "zoo_core.io", "zoo_core.io.png"},
}


def _core_imports(path: Path) -> set[str]:
    """Every zoo_core module a file imports (``from zoo_core import io`` counts as io)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "zoo_core"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "zoo_core":
            if node.module == "zoo_core":
                inner = {f"zoo_core.{a.name}" for a in node.names}
                found |= {m for m in inner if _is_module(m)} or {"zoo_core"}
            else:
                found.add(node.module)
    return found


def _is_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _plugin_imports() -> dict[str, set[str]]:
    imports = {}
    for package in PLUGIN_PACKAGES:
        for path in sorted(package.rglob("*.py")):
            inner = _core_imports(path) - PUBLIC
            if inner:
                imports[str(path.relative_to(ROOT / "plugins"))] = inner
    return imports


def test_first_party_plugins_import_only_the_public_surface():
    imports = _plugin_imports()
    new = {f: m - REMAINING.get(f, set()) for f, m in imports.items()}
    new = {f: sorted(m) for f, m in new.items() if m}
    assert not new, f"import these through zoo_core.plugin_api instead: {new}"
    stale = {f: sorted(m - imports.get(f, set())) for f, m in REMAINING.items()}
    assert not {f: m for f, m in stale.items() if m}, f"drop from REMAINING: {stale}"


def test_all_lists_every_public_name_and_each_resolves():
    tree = ast.parse(inspect.getsource(plugin_api))
    imports = [n for n in tree.body if isinstance(n, ast.ImportFrom)]
    eager = {
        a.asname or a.name for n in imports if n.module.startswith("zoo_core") for a in n.names
    }
    assert set(plugin_api.__all__) == eager | set(plugin_api._LAZY)
    assert len(plugin_api.__all__) == len(set(plugin_api.__all__))
    for name in plugin_api.__all__:
        assert getattr(plugin_api, name) is not None, name
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        plugin_api.nope  # noqa: B018


def test_type_checkers_see_every_lazy_name():
    tree = ast.parse(inspect.getsource(plugin_api))
    block = next(n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.dump(n))
    seen = {a.asname or a.name for node in block.body for a in node.names}
    assert seen == set(plugin_api._LAZY)


def test_importing_the_surface_imports_no_torch():
    code = "import sys, zoo_core.plugin_api; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# -- every attribute the core reads from a model is declared on GANModel ------------------


def _attributes_read_from_models() -> set[str]:
    """``getattr(model, "name", ...)`` anywhere in the core."""
    names = set()
    for path in (ROOT / "zoo_core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr")
                and len(node.args) >= 2
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == "model"
                and isinstance(node.args[1], ast.Constant)
            ):
                names.add(node.args[1].value)
    return names


def test_every_attribute_the_core_reads_from_a_model_is_declared_and_documented():
    from zoo_core.interfaces.model import GANModel

    read = _attributes_read_from_models()
    assert {"block_size", "inference_overlap", "inference_margin", "window_alignment"} <= read
    instance = set(re.findall(r"self\.(\w+)(?::[^=]+)? = ", inspect.getsource(GANModel.__init__)))
    undeclared = sorted(n for n in read if not hasattr(GANModel, n) and n not in instance)
    assert not undeclared, f"declare on GANModel, with a docstring: {undeclared}"
    source = inspect.getsource(GANModel)
    for name in sorted(read - instance):
        documented = re.search(rf"#:.*\n(?:\s*#:.*\n)*\s*{name}\b", source) or (
            callable(getattr(GANModel, name)) and getattr(GANModel, name).__doc__
        )
        assert documented, f"GANModel.{name} has no doc comment"


def test_fake_batch_defaults_to_sample():
    import torch

    from zoo_core.interfaces.model import GANModel

    class Unconditional(GANModel):
        def sample(self, n, condition, generator):
            return torch.full((n, 1, 2, 2), 0.5)

    class Conditional(GANModel):
        conditional = True

        def sample(self, n, condition, generator):
            return condition * 2

    batch = {"target": torch.zeros(3, 1, 2, 2)}
    assert Unconditional().fake_batch(batch).shape == (3, 1, 2, 2)
    condition = torch.ones(2, 1, 2, 2)
    assert torch.equal(Conditional().fake_batch({"condition": condition}), condition * 2)


# -- the docs meta-test ---------------------------------------------------------------------


def _hooks() -> list[str]:
    return [n for n, f in vars(hookspecs).items() if hasattr(f, f"{hookspecs.PROJECT}_spec")]


@pytest.mark.parametrize("hook", _hooks())
def test_every_hook_is_documented_in_contributing(hook):
    assert re.search(rf"`{hook}\(", CONTRIBUTING), f"CONTRIBUTING.md does not document {hook}"


@pytest.mark.parametrize("callback", list(callbacks.ARCH_CALLBACKS))
def test_every_archspec_callback_is_documented_in_contributing(callback):
    protocol = callbacks.ARCH_CALLBACKS[callback].__name__
    assert callback in {f.name for f in ArchSpec.__dataclass_fields__.values()}
    assert f"`{callback}`" in CONTRIBUTING, f"CONTRIBUTING.md does not document {callback}"
    assert f"`{protocol}`" in CONTRIBUTING, f"CONTRIBUTING.md does not name {protocol}"


@pytest.mark.parametrize("kind", list(callbacks.NAMED_CALLBACKS))
def test_every_registered_factory_protocol_is_documented_in_contributing(kind):
    protocol = callbacks.NAMED_CALLBACKS[kind].__name__
    assert f"`{protocol}`" in CONTRIBUTING, f"CONTRIBUTING.md does not name {protocol}"


def test_the_hook_list_is_the_one_these_tests_check():
    # A hookspec added without the marker would slip past the parametrised tests above.
    assert sorted(_hooks()) == sorted(n for n in vars(hookspecs) if n.startswith("register_"))


# -- every callback the installed plugins name fits its protocol ---------------------------


def test_every_installed_architecture_callback_fits_its_protocol():
    from zoo_core.registry import get_registry

    architectures = get_registry().architectures
    assert architectures, "no plugins installed"
    for arch in architectures.values():
        for callback in arch.callbacks():
            arch.resolve(callback)  # raises PluginError naming plugin and callback
    registry = get_registry()
    for name in registry.losses:
        registry.loss(name)
    for name in registry.feature_extractors:
        registry.feature_extractor(name)
