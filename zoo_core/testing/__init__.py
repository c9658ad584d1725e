"""The conformance kit: checks every plugin's own tests call.

>>> from zoo_core.testing import check_plugin
>>> check_plugin("pggan")  # each architecture's ArchSpec.tiny config  # doctest: +SKIP
>>> check_plugin("pggan", tiny={"beers-pggan-rop": ["model.max_resolution=16"]})  # doctest: +SKIP

The kit is plain functions (usable from any test runner) plus a pytest plugin that exposes
them as the ``zoo_kit`` fixture. ``phantom``, ``write_volume`` and ``write_image`` are for
an architecture's ``ArchSpec.example_data`` function, which writes the kit's training data.
"""

from zoo_core.testing.example_data import phantom, write_core_layout, write_image, write_volume
from zoo_core.testing.kit import (
    ConformanceError,
    check_architecture,
    check_callbacks,
    check_card,
    check_import_is_light,
    check_model,
    check_plugin,
    check_shipped_weights,
    shipped_weight_keys,
    tiny_config,
    tiny_model,
    tiny_overrides,
)
from zoo_core.testing.training import TrainingReport, check_loss_direction, check_training

__all__ = [
    "ConformanceError",
    "TrainingReport",
    "check_architecture",
    "check_callbacks",
    "check_card",
    "check_import_is_light",
    "check_loss_direction",
    "check_model",
    "check_plugin",
    "check_shipped_weights",
    "check_training",
    "phantom",
    "shipped_weight_keys",
    "tiny_config",
    "tiny_model",
    "tiny_overrides",
    "write_core_layout",
    "write_image",
    "write_volume",
]
