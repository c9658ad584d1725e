"""Every hook a zoo plugin can implement.

A plugin is a module with functions decorated by ``zoo_core.hookimpl`` whose names match the
specs below, exposed through the ``zoo`` entry-point group. Each hook hands the plugin a
``register`` callback that it calls once per thing it contributes, so the core decides how
registrations are stored, checked for duplicates and reported.

Plugin modules are imported every time the CLI starts, so they must not import torch at module
level: builders are named as ``"package.module:function"`` strings and imported on first use.

The plugin API is versioned by :data:`PLUGIN_API_VERSION`. Hooks only ever gain arguments
(pluggy lets an implementation accept a subset), so a plugin written for 1.x keeps working.
"""

from __future__ import annotations

import pluggy

PROJECT = "zoo"
PLUGIN_API_VERSION = "1.0"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_architectures(register):
    """Register network architectures.

    Call ``register(ArchSpec(...))`` once per architecture. An architecture is a builder (a
    ``"module:function"`` string returning a :class:`zoo_core.GANModel`), the dataclass schema
    of its ``model:`` config section, and optionally a trainer class with the architecture's
    own schedule (e.g. progressive growing).
    """


@hookspec
def register_models(register):
    """Register model ids.

    Call ``register(ModelSpec(...))`` once per id (``author-architecture-dataset``), naming
    its architecture, its config YAML (paper hyper-parameters) and its model card, which says
    where published weights live; or ``weights=`` a folder of trained weights shipped in the
    package (written by ``zoo ship``), whose README.md is then the card.
    """


@hookspec
def register_losses(register):
    """Register loss terms by name, for configs to refer to.

    Call ``register(name, "module:factory")``; the factory takes the term's keyword options and
    returns a callable. Configs can only name registered losses: they never import code.
    """


@hookspec
def register_feature_extractors(register):
    """Register feature extractors for distribution metrics such as FID and KID.

    Call ``register(name, "module:factory")``; the factory takes ``device`` and returns a
    module mapping images in [0, 1] of shape (N, 3, H, W) to features (N, D).
    """


@hookspec
def register_commands(cli):
    """Add subcommands to the ``zoo`` command line.

    ``cli`` is the top-level :class:`click.Group`; decorate new commands with
    ``@cli.command()``. Import heavy libraries inside the command, not at module level.
    """
