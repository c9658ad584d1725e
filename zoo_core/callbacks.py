"""The callbacks a plugin names in its specs, as typed protocols the core checks.

An :class:`~zoo_core.registry.ArchSpec` names its callbacks as ``"module:attribute"`` strings
(so that listing the zoo never imports torch), and ``register_losses`` /
``register_feature_extractors`` do the same. Their signatures are the protocols below. The
registry checks each one against its protocol the moment it resolves the string, before calling
it, so a builder that takes the wrong arguments is one error naming the plugin and the
callback, not a ``TypeError`` from deep inside training; the conformance kit resolves every
callback a plugin names, so the plugin's own tests catch it first.

Nothing here imports torch: the types the protocols mention are only imported for checkers.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

from zoo_core.errors import PluginError

if TYPE_CHECKING:
    import click
    from torch import nn
    from torch.utils.data import Dataset

    from zoo_core.interfaces.model import GANModel


class ModelBuilder(Protocol):
    """``ArchSpec.builder``: the ``model:`` config section -> a :class:`zoo_core.GANModel`.

    A ``GANModel`` subclass whose ``__init__`` takes the section is a builder as it stands:
    name the class, no ``build(cfg)`` wrapper is needed.
    """

    def __call__(self, model_config: Any, /) -> GANModel: ...


class DatasetFactory(Protocol):
    """``ArchSpec.dataset``: the ``data:`` section and the ``--data`` path -> a map-style
    dataset of ``{"target": ..., ...}`` items, for data the core's readers do not cover."""

    def __call__(self, data_config: Any, path: Path, /) -> Dataset: ...


class GenerateOptionsFactory(Protocol):
    """``ArchSpec.generate_options``: the ``click.Option`` list ``zoo generate`` accepts for
    the architecture's models (imported only when ``zoo generate`` runs for one of them)."""

    def __call__(self) -> list[click.Option]: ...


class EvaluationReport(TypedDict):
    """What an :class:`EvaluationProtocol` returns."""

    markdown: str
    metrics: dict[str, Any]


class EvaluationProtocol(Protocol):
    """``ArchSpec.evaluation``: the paper's own evaluation on real data, run by ``zoo
    evaluate ID --real PATH`` when given neither ``--fake`` nor ``--generate``."""

    def __call__(
        self, model: GANModel, real: Path, /, *, seed: int, device: str | None
    ) -> EvaluationReport: ...


class TrainerFactory(Protocol):
    """``ArchSpec.trainer``: a :class:`zoo_core.training.GANTrainer` subclass, constructed by
    ``zoo.train`` as below; override its hooks rather than its constructor."""

    def __call__(
        self,
        model: GANModel,
        cfg: Any,
        dataset: Any,
        out_dir: Path,
        model_id: str,
        /,
        *,
        resume: bool,
        device: str | None,
        progress: bool,
    ) -> Any: ...


class ExampleDataFactory(Protocol):
    """``ArchSpec.example_data``: the ``data:`` section and an empty folder -> nothing; it
    writes a few small files there in the layout ``ArchSpec.dataset`` reads (synthetic, or
    a cut of shipped data), for the conformance kit's training check."""

    def __call__(self, data_config: Any, folder: Path, /) -> None: ...


class LossFactory(Protocol):
    """``register_losses``: the term's keyword options (``train.loss_options.<name>``) -> a
    loss: ``term(fake, target) -> scalar``, or an adversarial loss with ``d_loss`` and
    ``g_loss``. It must be callable with no options: every option has a default."""

    def __call__(self, **options: Any) -> Callable[..., Any]: ...


class FeatureExtractorFactory(Protocol):
    """``register_feature_extractors``: ``device`` -> a module mapping images in [0, 1] of
    shape ``(N, 3, H, W)`` to features ``(N, D)``, for FID and KID."""

    def __call__(self, *, device: str) -> nn.Module: ...


#: Each ArchSpec field that names a callback, and the protocol the callback must satisfy.
ARCH_CALLBACKS: Mapping[str, type] = {
    "builder": ModelBuilder,
    "trainer": TrainerFactory,
    "dataset": DatasetFactory,
    "generate_options": GenerateOptionsFactory,
    "evaluation": EvaluationProtocol,
    "example_data": ExampleDataFactory,
}
#: The callbacks the other registration hooks take, by what they register.
NAMED_CALLBACKS: Mapping[str, type] = {
    "loss": LossFactory,
    "feature extractor": FeatureExtractorFactory,
}


def call_shape(protocol: type) -> tuple[int, tuple[str, ...]]:
    """How the core calls a protocol's callback: the number of positional arguments and the
    names passed by keyword (a protocol's ``**options`` are optional, so not checked)."""
    params = list(inspect.signature(protocol.__call__).parameters.values())[1:]  # drop self
    positional = sum(1 for p in params if p.kind is p.POSITIONAL_ONLY)
    keywords = tuple(p.name for p in params if p.kind is p.KEYWORD_ONLY)
    return positional, keywords


def describe(protocol: type) -> str:
    """The call the core makes, for error messages: ``(model_config)`` or ``(*, device)``."""
    params = list(inspect.signature(protocol.__call__).parameters.values())[1:]
    names = [p.name for p in params if p.kind is p.POSITIONAL_ONLY]
    keywords = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
    return "(" + ", ".join(names + (["*", *keywords] if keywords else [])) + ")"


def check_callback(obj: Any, protocol: type, *, what: str) -> None:
    """Raise :class:`PluginError` unless ``obj`` can be called as the core calls ``protocol``.

    ``what`` names the plugin, the spec and the callback (``"plugin 'x': architecture 'y'
    builder 'm:f'"``). The check binds placeholder arguments to the signature, so defaults,
    ``*args`` and ``**kwargs`` count as accepting, and nothing is called. Objects whose
    signature Python cannot read (some C builtins) are accepted.
    """
    if not callable(obj):
        raise PluginError(f"{what} is a {type(obj).__name__}, not callable.")
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return
    positional, keywords = call_shape(protocol)
    try:
        signature.bind(*[None] * positional, **dict.fromkeys(keywords))
    except TypeError as exc:
        raise PluginError(
            f"{what} has the signature {signature}, but the core calls it as "
            f"{describe(protocol)} ({protocol.__name__}: {exc}). See CONTRIBUTING.md, "
            "'The hooks'."
        ) from None
