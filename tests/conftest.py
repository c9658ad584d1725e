"""Fixtures for the whole suite: a loopback Hub, a private Hugging Face cache, fake plugins.

huggingface_hub reads ``HF_ENDPOINT``, ``HF_HOME``, ``HF_HUB_CACHE`` and ``HF_HUB_OFFLINE``
once, when it is first imported, so the Hub-compatible server is started and the variables
are set here, at import time, before any test module can import it. Nothing in the suite
reaches the network: every Hub request goes to :class:`zoo_core.testing.hub_server.HubServer`
on 127.0.0.1, and every download lands in a temporary cache.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

if "huggingface_hub" in sys.modules:  # pragma: no cover - would send tests to the real Hub
    raise pytest.UsageError(
        "huggingface_hub was imported before tests/conftest.py could point it at the loopback "
        "Hub; find the plugin or import that loads it first."
    )

from zoo_core.testing.hub_server import HubServer

# pytest runs with --import-mode=importlib, which does not put tests/ on sys.path; the test
# modules share code through the tests/helpers package.
_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

_HF_HOME = Path(tempfile.mkdtemp(prefix="zoo-tests-hf-"))
_HUB = HubServer().start()
os.environ.update(
    HF_ENDPOINT=_HUB.url,
    HF_HOME=str(_HF_HOME),
    HF_HUB_CACHE=str(_HF_HOME / "hub"),
    HF_HUB_OFFLINE="0",
    HF_TOKEN="hf_zoo_test_token",
    HF_HUB_DISABLE_TELEMETRY="1",
    HF_HUB_DISABLE_PROGRESS_BARS="1",
)
for _name in ("ZOO_HUB", "ZOO_PLUGINS", "HF_HUB_ENABLE_HF_TRANSFER"):
    os.environ.pop(_name, None)


def pytest_unconfigure(config: pytest.Config) -> None:
    _HUB.stop()
    shutil.rmtree(_HF_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def hub_server() -> HubServer:
    """The loopback Hub that ``HF_ENDPOINT`` points at, shared by the session.

    Tests use repo ids of their own, so they never see each other's commits.
    """
    return _HUB


@pytest.fixture(scope="session")
def hf_cache() -> Path:
    """The huggingface_hub cache of this session (``HF_HUB_CACHE``)."""
    return _HF_HOME / "hub"


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Fake installed plugins (see tests/helpers/dists.py), undone after the test."""
    from helpers.dists import PluginSite

    site = PluginSite(tmp_path / "site", monkeypatch)
    yield site
    site.deactivate()
