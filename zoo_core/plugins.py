"""Finding, loading and reporting plugins.

Each plugin is loaded in its own ``try`` block: one that fails to import, implements a hook
that does not exist, declares a plugin API this core does not provide or registers a
duplicate id is recorded (``zoo plugins`` shows it) and warned about, and every other plugin
and command keeps working.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import os
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import pluggy

from zoo_core import hookspecs

ENTRY_POINT_GROUP = "zoo"
#: Comma-separated plugin names to load; unset loads all, an empty string loads none.
PLUGINS_ENV = "ZOO_PLUGINS"
#: The core registers its own losses and extractors through the same hooks as any plugin.
BUILTIN_PLUGINS = ("zoo_core.builtin",)
#: The module attribute where a plugin states the plugin API it was written for ("1.2").
#: Leaving it out means "the API this core provides".
API_ATTRIBUTE = "ZOO_PLUGIN_API"


class PluginWarning(UserWarning):
    """A plugin that could not be loaded completely."""


@dataclass
class PluginInfo:
    """What ``zoo plugins`` reports about one plugin."""

    name: str
    version: str
    module: str
    hooks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


_manager: pluggy.PluginManager | None = None
_infos: dict[str, PluginInfo] = {}


def _known_hooks() -> set[str]:
    return {name for name in dir(hookspecs) if name.startswith("register_")}


def _implemented_hooks(module: object) -> list[str]:
    marker = f"{hookspecs.PROJECT}_impl"
    return sorted(name for name in dir(module) if hasattr(getattr(module, name, None), marker))


def _allowed_names() -> set[str] | None:
    value = os.environ.get(PLUGINS_ENV)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def record_error(plugin: str, message: str) -> None:
    """Attach an error to a plugin's report and warn, naming the plugin."""
    info = _infos.get(plugin)
    if info is not None:
        info.errors.append(message)
    warnings.warn(f"zoo plugin {plugin!r}: {message}", PluginWarning, stacklevel=2)


def api_version_problem(declared: object) -> str | None:
    """Why this core cannot host a plugin declaring ``ZOO_PLUGIN_API = declared``, or None.

    A plugin written for ``X.Y`` runs on any core providing ``X.Z`` with ``Z >= Y``: minor
    versions only add (hook arguments, spec fields, model defaults), a major version may
    remove. Refusing up front gives one line naming both versions instead of an AttributeError
    in the middle of a command.
    """
    provided = hookspecs.PLUGIN_API_VERSION
    if not isinstance(declared, str) or not _API_PATTERN.match(declared):
        return (
            f"ZOO_PLUGIN_API must be a 'MAJOR.MINOR' string such as {provided!r}, not {declared!r}"
        )
    major, minor = (int(part) for part in declared.split("."))
    have_major, have_minor = (int(part) for part in provided.split("."))
    if major == have_major and minor <= have_minor:
        return None
    core = importlib.metadata.version("zoo-core")
    advice = (
        "upgrade zoo-core"
        if (major, minor) > (have_major, have_minor)
        else f"install a release of the plugin written for plugin API {have_major}.x"
    )
    return (
        f"written for zoo plugin API {declared}, but zoo-core {core} provides {provided}; "
        f"{advice}. The plugin is not loaded."
    )


_API_PATTERN = re.compile(r"^\d+\.\d+$")


def call_hookimpl(impl: Any, **arguments: Any) -> Any:
    """Call one hook implementation with the arguments it names, by keyword.

    Pluggy binds arguments by name so that a hook can gain arguments without breaking the
    implementations written before (each takes the subset it names); the core calls some
    implementations one by one, to charge a failure to its plugin, and does the same.
    """
    return impl.function(**{name: arguments[name] for name in impl.argnames})


def _register(pm: pluggy.PluginManager, module: object, info: PluginInfo) -> None:
    _infos[info.name] = info
    problem = api_version_problem(getattr(module, API_ATTRIBUTE, hookspecs.PLUGIN_API_VERSION))
    if problem:
        record_error(info.name, problem)
        return
    known = _known_hooks()
    info.hooks = _implemented_hooks(module)
    for hook in info.hooks:
        if hook not in known:
            close = difflib.get_close_matches(hook, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            record_error(info.name, f"implements unknown hook {hook!r}{hint}")
    pm.register(module, name=info.name)


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, loading plugins on first use."""
    global _manager
    if _manager is not None:
        return _manager
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    _infos.clear()
    version = importlib.metadata.version("zoo-core")
    for module_name in BUILTIN_PLUGINS:
        module = importlib.import_module(module_name)
        _register(pm, module, PluginInfo("zoo_core", version, module_name))

    allowed = _allowed_names()
    seen: set[str] = set()
    # Sorted, so which plugin keeps a duplicate id does not depend on sys.path order.
    eps = sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
    for ep in eps:
        if allowed is not None and ep.name not in allowed:
            continue
        if ep.name in seen:
            other = _infos.get(ep.name)
            record_error(
                ep.name,
                f"two installed distributions provide the plugin name {ep.name!r} "
                f"({other.module if other else '?'} and {ep.value}); only the first is loaded. "
                "Uninstall one of them.",
            )
            continue
        seen.add(ep.name)
        dist_version = ep.dist.version if ep.dist is not None else "?"
        info = PluginInfo(ep.name, dist_version, ep.value)
        try:
            module = ep.load()
        except Exception as exc:  # a broken plugin must not break the zoo
            _infos[info.name] = info
            record_error(info.name, f"failed to import: {type(exc).__name__}: {exc}")
            continue
        try:
            _register(pm, module, info)
        except Exception as exc:
            record_error(info.name, f"failed to register: {type(exc).__name__}: {exc}")
    _manager = pm
    return pm


def plugin_infos() -> list[PluginInfo]:
    """Reports for every plugin seen, loading plugins and registries if needed."""
    from zoo_core.registry import get_registry

    get_registry()  # registration errors (duplicates) are part of the report
    return list(_infos.values())


def reset() -> None:
    """Forget loaded plugins and registries (tests use this after changing the environment)."""
    global _manager
    _manager = None
    _infos.clear()
    from zoo_core import registry

    registry.reset()
