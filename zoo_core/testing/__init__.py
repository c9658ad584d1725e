"""The conformance kit: checks every plugin's own tests call.

>>> from zoo_core.testing import check_plugin
>>> check_plugin("pggan", tiny={"beers-pggan-rop": ["model.max_resolution=16"]})  # doctest: +SKIP

The kit is plain functions (usable from any test runner) plus a pytest plugin that exposes
them as the ``zoo_kit`` fixture.
"""

from zoo_core.testing.kit import (
    check_architecture,
    check_callbacks,
    check_card,
    check_import_is_light,
    check_plugin,
    check_shipped_weights,
)

__all__ = [
    "check_architecture",
    "check_callbacks",
    "check_card",
    "check_import_is_light",
    "check_plugin",
    "check_shipped_weights",
]
