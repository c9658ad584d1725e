"""The registry of architectures and model ids that plugins contribute.

Specs hold strings, not objects, so that listing the zoo never imports torch: a builder is
named ``"package.module:function"`` and imported only when a model is built, and a config or
card is named as a package resource (``"package:path/in/package"``) or a file path.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from zoo_core.callbacks import ARCH_CALLBACKS, NAMED_CALLBACKS, check_callback
from zoo_core.errors import (
    DuplicateIdError,
    PluginError,
    UnknownArchitectureError,
    UnknownModelError,
    ZooError,
)

#: ``author-architecture`` or ``author-architecture-dataset`` (lower-case words joined by ``-``).
MODEL_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+){1,}$")
ARCH_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class ArchSpec:
    """A network architecture: how to build it, its config schema, how to train it.

    Every callback is a ``"module:attribute"`` string, imported on first use so that listing
    the zoo stays free of torch; :mod:`zoo_core.callbacks` has the typed protocol of each, and
    :meth:`resolve` checks a callback against it before the core calls it.

    ``builder`` (:class:`~zoo_core.callbacks.ModelBuilder`) turns the ``model:`` section into
    a :class:`zoo_core.GANModel`; a ``GANModel`` subclass taking the section is one, so name
    the class itself. ``config`` is the dataclass schema of the ``model:`` section.
    ``trainer`` (:class:`~zoo_core.callbacks.TrainerFactory`) optionally names a
    :class:`zoo_core.training.GANTrainer` subclass for architectures whose training differs
    from the plain adversarial loop; ``train_config`` and ``data_config`` optionally extend
    the core's schemas with the architecture's own keys. ``dataset``
    (:class:`~zoo_core.callbacks.DatasetFactory`, ``(data_cfg, path)``) optionally returns the
    training dataset, for data the core's :func:`zoo_core.data.training_dataset` does not
    cover. ``generate_options`` (:class:`~zoo_core.callbacks.GenerateOptionsFactory`, ``()``)
    optionally returns a list of ``click.Option`` that ``zoo generate`` accepts for this
    architecture's models (a style image, a perturbation flag); the parsed values reach
    ``GANModel.generate(**options)``. It is imported only when ``zoo generate`` runs for such
    a model, so listing stays light. ``evaluation``
    (:class:`~zoo_core.callbacks.EvaluationProtocol`, ``(model, real, *, seed, device)``)
    optionally runs the paper's own evaluation protocol on real data (e.g. the condition vs
    the output over whole scans) and returns ``{"markdown": table, "metrics": json-able}``;
    ``zoo evaluate ID --real PATH`` runs it when given neither ``--fake`` nor ``--generate``.

    Two fields are for the conformance kit (:mod:`zoo_core.testing`). ``tiny`` is the dotlist
    overrides that make any of the architecture's ids small enough for a test (a model that
    builds, trains two steps and generates in about a second on a CPU), data and train keys
    included where the data must shrink with the model. ``example_data``
    (:class:`~zoo_core.callbacks.ExampleDataFactory`, ``(data_cfg, folder)``) optionally
    writes a few small files in the layout ``dataset`` reads, for the kit's training check;
    without it the kit writes synthetic images of the core's layout (which is all an
    architecture without its own ``dataset`` needs).
    """

    name: str
    builder: str
    config: type
    description: str = ""
    trainer: str | None = None
    train_config: type | None = None
    data_config: type | None = None
    dataset: str | None = None
    generate_options: str | None = None
    evaluation: str | None = None
    example_data: str | None = None
    tiny: tuple[str, ...] = ()
    plugin: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.tiny, list):  # a list reads naturally in a plugin; keep it hashable
            object.__setattr__(self, "tiny", tuple(self.tiny))

    def callbacks(self) -> dict[str, str]:
        """The callbacks this architecture names, by field (``builder`` always)."""
        return {name: ref for name in ARCH_CALLBACKS if (ref := getattr(self, name)) is not None}

    def resolve(self, callback: str) -> Any:
        """Import the callback a field names and check it against its protocol.

        The error names the plugin, the architecture and the callback: a wrong signature is
        the plugin's bug, and the user should know whose it is.
        """
        protocol = ARCH_CALLBACKS[callback]
        ref = getattr(self, callback)
        what = f"plugin {self.plugin or '?'!r}: architecture {self.name!r} {callback} {ref!r}"
        try:
            obj = resolve_object(ref)
        except ZooError as exc:
            raise PluginError(f"{what} cannot be imported: {exc}") from None
        except ImportError as exc:
            raise PluginError(f"{what} cannot be imported: {type(exc).__name__}: {exc}") from exc
        check_callback(obj, protocol, what=what)
        return obj

    def build(self, model_config: Any) -> Any:
        """Import the builder and call it with the ``model:`` section of a config.

        A builder that raises anything but a :class:`ZooError` has a bug: the error names the
        plugin and builder, so a user knows whose it is rather than reading a deep traceback.
        """
        builder = self.resolve("builder")
        try:
            return builder(model_config)
        except ZooError:
            raise
        except Exception as exc:
            raise PluginError(
                f"plugin {self.plugin or '?'!r} failed to build architecture {self.name!r} "
                f"({self.builder}): {type(exc).__name__}: {exc}. Check the model: overrides "
                f"you gave; if they are valid, report this to the plugin's authors."
            ) from exc

    def problem(self) -> str | None:
        """Why the registry refuses this spec's callbacks, or None (checked at registration,
        where nothing is imported yet: each must be a ``"module:attribute"`` string)."""
        for name, ref in self.callbacks().items():
            if not isinstance(ref, str) or not _REF_PATTERN.match(ref):
                return (
                    f"architecture {self.name!r}: {name}={ref!r} must be a "
                    "'package.module:attribute' string (imported on first use, so that "
                    "listing the zoo does not import torch)."
                )
        if not isinstance(self.tiny, tuple) or not all(
            isinstance(o, str) and "=" in o for o in self.tiny
        ):
            return (
                f"architecture {self.name!r}: tiny={self.tiny!r} must be a list of dotlist "
                "overrides such as 'model.base_filters=8'."
            )
        return None


_REF_PATTERN = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


#: The model card inside a shipped weights folder, as in a Hub repo.
SHIPPED_CARD = "README.md"


@dataclass(frozen=True)
class ModelSpec:
    """A model id: an architecture with the paper's hyper-parameters and a model card.

    The card (YAML front matter) says where weights are published, if they are. ``weights``
    optionally names a folder shipped in the plugin package and laid out like a Hub repo
    (``config.yaml``, ``model.safetensors``, ``README.md``); ``zoo.load(id)`` then reads it
    without the network. Its README.md *is* the card, so that one file says what the weights
    are: ``card`` defaults to it, and naming any other card is refused.
    """

    id: str
    architecture: str
    config: str
    card: str = ""
    plugin: str = ""
    weights: str | None = None

    def __post_init__(self) -> None:
        if self.weights is not None and not self.card:
            object.__setattr__(self, "card", self.shipped_card())

    @classmethod
    def packaged(
        cls, package: str, model_id: str, architecture: str, *, shipped: bool = False
    ) -> ModelSpec:
        """A model id whose files sit where ``zoo new-plugin`` puts them in ``package``.

        The config is ``<package>:configs/<id>.yaml`` and the card
        ``<package>:model_cards/<id>.md``; with ``shipped=True`` the weights folder
        ``<package>:weights/<id>`` (written by ``zoo ship``) is the card's place instead.
        Spelling the paths out stays possible for a plugin laid out otherwise.
        """
        config = f"{package}:configs/{model_id}.yaml"
        if shipped:
            return cls(model_id, architecture, config, weights=f"{package}:weights/{model_id}")
        return cls(model_id, architecture, config, card=f"{package}:model_cards/{model_id}.md")

    def shipped_card(self) -> str | None:
        """The card reference inside the shipped weights folder (None without one)."""
        if self.weights is None:
            return None
        return f"{self.weights.rstrip('/')}/{SHIPPED_CARD}"

    def problem(self) -> str | None:
        """Why the registry refuses this spec's card and weights, or None.

        Checked when a plugin registers it (not on construction), so one bad spec is charged
        to its plugin without losing the plugin's other ids.
        """
        if not self.card:
            return f"model {self.id!r} needs card= (its model card) or weights=."
        if self.weights is not None and self.card != self.shipped_card():
            return (
                f"model {self.id!r} ships weights in {self.weights!r}, so its card is "
                f"{self.shipped_card()!r} (the card published with them), not {self.card!r}: "
                "leave card= out."
            )
        return None

    def config_path(self) -> Path:
        return resource_path(self.config)

    def card_path(self) -> Path:
        return resource_path(self.card)

    def weights_path(self) -> Path | None:
        """The shipped weights folder, or None when the weights (if any) are on a hub."""
        return resource_path(self.weights) if self.weights is not None else None


def resource_path(ref: str) -> Path:
    """Resolve ``"package:relative/path"`` (a file shipped in a package) or a plain path."""
    if ":" in ref and not Path(ref).is_absolute() and not re.match(r"^[A-Za-z]:[\\/]", ref):
        package, _, relative = ref.partition(":")
        return Path(str(resources.files(package).joinpath(relative)))
    return Path(ref)


def resolve_object(ref: str) -> Any:
    """Import ``"package.module:attribute"``.

    Only ever called with strings that plugins register in code, never with strings read from
    a config file or a model card.
    """
    module_name, _, attribute = ref.partition(":")
    if not attribute:
        raise ZooError(f"{ref!r} is not of the form 'package.module:attribute'.")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ZooError(f"{module_name!r} has no attribute {attribute!r} (from {ref!r}).") from None


@dataclass
class Registry:
    """Everything the installed plugins registered, with the plugin each came from."""

    architectures: dict[str, ArchSpec] = field(default_factory=dict)
    models: dict[str, ModelSpec] = field(default_factory=dict)
    losses: dict[str, tuple[str, str]] = field(default_factory=dict)
    feature_extractors: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add_architecture(self, spec: ArchSpec, plugin: str) -> None:
        if not isinstance(spec, ArchSpec):
            raise ZooError(f"register_architectures expects ArchSpec, got {type(spec).__name__}")
        if not ARCH_NAME_PATTERN.match(spec.name):
            raise ZooError(f"architecture name {spec.name!r} must be lower-case snake_case")
        problem = spec.problem()
        if problem:
            raise ZooError(problem)
        if spec.name in self.architectures:
            other = self.architectures[spec.name].plugin
            raise DuplicateIdError(
                f"architecture {spec.name!r} is registered by both {other!r} and {plugin!r}; "
                f"the one from {other!r} is kept. Uninstall one of them or rename."
            )
        self.architectures[spec.name] = _with_plugin(spec, plugin)

    def add_model(self, spec: ModelSpec, plugin: str) -> None:
        if not isinstance(spec, ModelSpec):
            raise ZooError(f"register_models expects ModelSpec, got {type(spec).__name__}")
        if not MODEL_ID_PATTERN.match(spec.id):
            raise ZooError(
                f"model id {spec.id!r} must look like 'author-architecture[-dataset]' "
                "(lower-case words joined by '-')"
            )
        problem = spec.problem()
        if problem:
            raise ZooError(problem)
        if spec.id in self.models:
            other = self.models[spec.id].plugin
            raise DuplicateIdError(
                f"model id {spec.id!r} is registered by both {other!r} and {plugin!r}; "
                f"the one from {other!r} is kept. Uninstall one of them or rename."
            )
        self.models[spec.id] = _with_plugin(spec, plugin)

    def _add_named(self, table: dict, kind: str, name: str, ref: str, plugin: str) -> None:
        if name in table:
            raise DuplicateIdError(
                f"{kind} {name!r} is registered by both {table[name][1]!r} and {plugin!r}"
            )
        table[name] = (ref, plugin)

    def model(self, model_id: str) -> ModelSpec:
        try:
            return self.models[model_id]
        except KeyError:
            close = difflib.get_close_matches(model_id, list(self.models), n=3, cutoff=0.5)
            raise UnknownModelError(model_id, close) from None

    def architecture(self, name: str) -> ArchSpec:
        try:
            return self.architectures[name]
        except KeyError:
            known = ", ".join(sorted(self.architectures)) or "none"
            raise UnknownArchitectureError(
                f"Unknown architecture {name!r} (registered: {known}). "
                "Is the plugin that provides it installed? See `zoo plugins`."
            ) from None

    def loss(self, name: str) -> Callable[..., Any]:
        return self._resolve_named(self.losses, "loss", name)

    def feature_extractor(self, name: str) -> Callable[..., Any]:
        return self._resolve_named(self.feature_extractors, "feature extractor", name)

    def _resolve_named(self, table: dict, kind: str, name: str) -> Callable[..., Any]:
        if name not in table:
            known = ", ".join(sorted(table)) or "none"
            raise ZooError(f"Unknown {kind} {name!r}; registered: {known}.")
        ref, plugin = table[name]
        factory = resolve_object(ref)
        check_callback(
            factory, NAMED_CALLBACKS[kind], what=f"plugin {plugin!r}: {kind} {name!r} {ref!r}"
        )
        return factory

    def match(self, patterns: Iterable[str] = ("*",)) -> list[ModelSpec]:
        """Model specs whose id matches any fnmatch pattern, sorted by id."""
        patterns = list(patterns) or ["*"]
        return [
            self.models[i]
            for i in sorted(self.models)
            if any(fnmatch.fnmatchcase(i, p) for p in patterns)
        ]


def _with_plugin(spec: Any, plugin: str) -> Any:
    from dataclasses import replace

    return replace(spec, plugin=plugin)


_registry: Registry | None = None


def _call_each(hook: Any, make_register: Callable[[str], Callable[..., None]]) -> None:
    """Call a registration hook plugin by plugin, so one failure is charged to its plugin."""
    from zoo_core.plugins import call_hookimpl, record_error

    # get_hookimpls() lists implementations in registration order (builtin first, then the
    # plugins as discovered); pluggy *calls* them in reverse, which would let a later plugin
    # win a duplicate id, so each is called here explicitly, in order.
    for impl in hook.get_hookimpls():
        plugin = impl.plugin_name
        register = make_register(plugin)

        def guarded(*args: Any, _register: Callable = register, _plugin: str = plugin) -> None:
            try:
                _register(*args)
            except ZooError as exc:
                record_error(_plugin, str(exc))

        try:
            call_hookimpl(impl, register=guarded)
        except Exception as exc:
            record_error(plugin, f"{hook.name} failed: {type(exc).__name__}: {exc}")


def get_registry() -> Registry:
    """The registry built from every loaded plugin (built once per process)."""
    global _registry
    if _registry is not None:
        return _registry
    from zoo_core.plugins import get_plugin_manager

    hooks = get_plugin_manager().hook
    reg = Registry()
    _call_each(hooks.register_architectures, lambda p: lambda s: reg.add_architecture(s, p))
    _call_each(hooks.register_models, lambda p: lambda s: reg.add_model(s, p))
    _call_each(
        hooks.register_losses,
        lambda p: lambda name, ref: reg._add_named(reg.losses, "loss", name, ref, p),
    )
    _call_each(
        hooks.register_feature_extractors,
        lambda p: (
            lambda name, ref: reg._add_named(
                reg.feature_extractors, "feature extractor", name, ref, p
            )
        ),
    )
    _registry = reg
    return reg


def reset() -> None:
    global _registry
    _registry = None
