"""Every hook a zoo plugin can implement.

A plugin is a module with functions decorated by ``zoo_core.hookimpl`` whose names match the
specs below, exposed through the ``zoo`` entry-point group. Each hook hands the plugin a
``register`` callback that it calls once per thing it contributes, so the core decides how
registrations are stored, checked for duplicates and reported.

Plugin modules are imported every time the CLI starts, so they must not import torch at module
level: builders are named as ``"package.module:attribute"`` strings and imported on first use.
Their signatures are the protocols in :mod:`zoo_core.callbacks`.

The plugin API is versioned by :data:`PLUGIN_API_VERSION`. Hooks only ever gain arguments
and the core passes them by name, so an implementation names the subset it uses and a plugin
written for 1.x keeps working on any later 1.y. A plugin states the version it was written for
as ``ZOO_PLUGIN_API = "1.7"`` in its module; a core that does not provide it reports the
plugin instead of loading it (:func:`zoo_core.plugins.api_version_problem`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from zoo_core.registry import ArchSpec, ModelSpec

PROJECT = "zoo"
#: 1.1: class builders, ``GANModel.fake_batch`` defaulting to ``sample``,
#: ``ModelSpec.packaged``, hooks called by keyword, ``ZOO_PLUGIN_API`` checked at load.
#: 1.2: ``ArchSpec.tiny`` and ``ArchSpec.example_data``, the conformance kit's tiny config
#: and training data.
#: 1.3: ``GANModel.condition_options``, the generate options a condition brings.
#: 1.4: ``LevelSlices``, ``labelled_images``, ``code_agreement`` and ``split_parts``, for
#: evaluation protocols that judge samples by real labelled slices.
#: 1.5: ``augmentation``, the data config's jitter and flips for datasets of a plugin's own.
#: 1.6: ``InceptionFeatures``, the shipped ImageNet Inception-v3 as a perceptual extractor.
#: 1.7: ``InceptionFeatures(input_size=None)``, maps on the image's own grid (no resize), and
#: ``to_unit`` (the evaluation sets' scaling to [0, 1]) and ``split_folder``.
PLUGIN_API_VERSION = "1.7"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_architectures(register: Callable[[ArchSpec], None]) -> None:
    """Register network architectures.

    Call ``register(ArchSpec(...))`` once per architecture. An architecture is a builder (a
    ``"module:attribute"`` string naming a :class:`zoo_core.GANModel` subclass, or a function
    returning one), the dataclass schema of its ``model:`` config section, and optionally a
    trainer class with the architecture's own schedule (e.g. progressive growing), a dataset,
    ``zoo generate`` options and an evaluation protocol (:mod:`zoo_core.callbacks`).
    """


@hookspec
def register_models(register: Callable[[ModelSpec], None]) -> None:
    """Register model ids.

    Call ``register(ModelSpec(...))`` once per id (``author-architecture-dataset``), naming
    its architecture, its config YAML (paper hyper-parameters) and its model card, which says
    where published weights live; or ``weights=`` a folder of trained weights shipped in the
    package (written by ``zoo ship``), whose README.md is then the card.
    ``ModelSpec.packaged(package, id, architecture)`` fills the conventional paths.
    """


@hookspec
def register_losses(register: Callable[[str, str], None]) -> None:
    """Register loss terms by name, for configs to refer to.

    Call ``register(name, "module:factory")``; the factory takes the term's keyword options and
    returns a callable. Configs can only name registered losses: they never import code.
    """


@hookspec
def register_feature_extractors(register: Callable[[str, str], None]) -> None:
    """Register feature extractors for distribution metrics such as FID and KID.

    Call ``register(name, "module:factory")``; the factory takes ``device`` and returns a
    module mapping images in [0, 1] of shape (N, 3, H, W) to features (N, D).
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``zoo`` command line.

    ``cli`` is the top-level :class:`click.Group`; decorate new commands with
    ``@cli.command()``. Import heavy libraries inside the command, not at module level.
    """
