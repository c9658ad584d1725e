"""pytest plugin (entry point ``pytest11``): gives plugin authors the kit as a fixture."""

from __future__ import annotations

import pytest


@pytest.fixture
def zoo_kit():
    """The conformance kit module: ``zoo_kit.check_plugin("my_plugin", tiny={...})``."""
    from zoo_core import testing

    return testing
