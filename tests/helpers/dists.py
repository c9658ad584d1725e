"""Installed distributions without pip, for testing plugin discovery.

importlib.metadata finds a distribution through a ``<name>-<version>.dist-info`` folder on
``sys.path``; putting such a folder (METADATA + entry_points.txt) next to a package makes the
package a plugin exactly as ``pip install`` would, in milliseconds and without touching the
virtual environment. Subprocesses see the same plugins through ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib
import os
import sys
import textwrap
from pathlib import Path

from zoo_core import plugins


def write_dist_info(
    where: Path, dist: str, entry_points: dict[str, str], version: str = "0.1.0"
) -> Path:
    """Write ``<dist>-<version>.dist-info`` into ``where`` with entry points in group ``zoo``."""
    normalized = dist.replace("-", "_")
    info = where / f"{normalized}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = ["[zoo]", *(f"{name} = {target}" for name, target in entry_points.items()), ""]
    (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
    (info / "top_level.txt").write_text(
        "\n".join(sorted({t.split(":")[0].split(".")[0] for t in entry_points.values()})) + "\n"
    )
    return info


class PluginSite:
    """Folders of fake installed plugins, put on sys.path and PYTHONPATH while active.

    ``activate`` also sets ``ZOO_PLUGINS`` to the plugins of this site (so plugins installed
    in the virtual environment stay out of the test) and resets the zoo's plugin manager.
    """

    def __init__(self, root: Path, monkeypatch):
        self.root = root
        self.monkeypatch = monkeypatch
        self.paths: list[Path] = []
        self.names: list[str] = []
        self._modules_before = set(sys.modules)

    # -- making plugins ------------------------------------------------------------------

    def add_package(self, dist: str, entry: str, package: str, files: dict[str, str]) -> Path:
        """A plugin from source text: ``files`` maps paths inside ``package`` to their text."""
        where = self.root / dist
        for relative, text in files.items():
            path = where / package / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        write_dist_info(where, dist, {entry: package})
        self._add(where, entry)
        return where / package

    def add_rendered(self, project: Path) -> str:
        """Expose a ``zoo new-plugin`` project (``zoo-NAME/``) as an installed plugin."""
        name = project.name.removeprefix("zoo-")
        write_dist_info(project, project.name, {name: f"zoo_{name}"})
        self._add(project, name)
        return name

    def _add(self, path: Path, entry: str) -> None:
        if path not in self.paths:
            self.paths.append(path)
        if entry not in self.names:
            self.names.append(entry)

    # -- putting them in place -----------------------------------------------------------

    def activate(self, only: list[str] | None = None) -> PluginSite:
        """Make the plugins importable and discoverable; ``only`` sets ZOO_PLUGINS."""
        for path in self.paths:
            if str(path) not in sys.path:
                self.monkeypatch.syspath_prepend(str(path))
        pythonpath = os.pathsep.join(
            [str(p) for p in self.paths] + [p for p in [os.environ.get("PYTHONPATH")] if p]
        )
        self.monkeypatch.setenv("PYTHONPATH", pythonpath)
        self.monkeypatch.setenv(plugins.PLUGINS_ENV, ",".join(self.names if only is None else only))
        importlib.invalidate_caches()
        plugins.reset()
        return self

    def deactivate(self) -> None:
        """Forget modules imported from the site, so the next test imports its own."""
        roots = [str(p) for p in self.paths]
        for name in list(sys.modules):
            if name in self._modules_before:
                continue
            origin = getattr(sys.modules[name], "__file__", None) or ""
            if any(origin.startswith(r) for r in roots):
                del sys.modules[name]
        importlib.invalidate_caches()
        plugins.reset()
