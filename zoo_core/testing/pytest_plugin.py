"""pytest plugin (entry point ``pytest11``): the conformance kit and a loopback Hub as fixtures.

``zoo_kit`` is :mod:`zoo_core.testing`. ``zoo_hub`` is a :class:`ZooHub`: the zoo's
Hub look-alike (:class:`zoo_core.testing.hub_server.HubServer`) on 127.0.0.1, with a private
Hugging Face cache, so a plugin's tests can push and load models without the network.

The one trap is the order of things: huggingface_hub reads ``HF_ENDPOINT`` (and ``HF_HOME``,
``HF_HUB_CACHE``, ``HF_HUB_OFFLINE``) once, when it is first imported. So:

* ``zoo_hub.run([...])``, ``zoo_hub.python(code)`` and ``zoo_hub.zoo(*args)`` run the client
  in a subprocess with the Hub's environment. That always works.
* In-process use (``zoo.push``, ``zoo.load`` in the test itself) needs the environment set
  before anything imports huggingface_hub. Put ``zoo_hub = true`` under
  ``[tool.pytest.ini_options]``: the server then starts and ``HF_*`` point at it before any
  conftest or test module is imported. Without it, the fixture sets them itself when
  huggingface_hub is not imported yet and ``HF_ENDPOINT`` is unset; ``zoo_hub.in_process``
  says whether this process talks to the loopback Hub, and ``zoo_hub.require_in_process()``
  fails the test with what to do when it does not (rather than reaching the real Hub).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from zoo_core.testing.hub_server import HubServer

INI_OPTION = "zoo_hub"
#: Variables the Hub's environment sets; ``ZOO_HUB`` (another weights source) is removed.
_REMOVED = ("ZOO_HUB", "HF_HUB_ENABLE_HF_TRANSFER")


class ZooHub:
    """A started loopback Hub, its private cache and the environment that points at both."""

    def __init__(self, server: HubServer, home: Path) -> None:
        self.server = server
        self.home = home
        self._saved: dict[str, str | None] | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def cache(self) -> Path:
        """The huggingface_hub cache (``HF_HUB_CACHE``) of this Hub's clients."""
        return self.home / "hub"

    @property
    def env(self) -> dict[str, str]:
        """``HF_*`` variables for a client of this Hub (set them before importing it)."""
        return {
            "HF_ENDPOINT": self.url,
            "HF_HOME": str(self.home),
            "HF_HUB_CACHE": str(self.cache),
            "HF_HUB_OFFLINE": "0",
            "HF_TOKEN": "hf_zoo_test_token",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        }

    # -- this process ----------------------------------------------------------------------

    @property
    def in_process(self) -> bool:
        """Whether huggingface_hub in this process talks to this Hub."""
        if "huggingface_hub" in sys.modules:
            from huggingface_hub import constants

            return constants.ENDPOINT.rstrip("/") == self.url
        return os.environ.get("HF_ENDPOINT") == self.url

    def require_in_process(self) -> None:
        """Fail the test (with the fix) unless in-process clients reach this Hub."""
        if not self.in_process:
            raise pytest.UsageError(
                "huggingface_hub in this process does not talk to the zoo_hub fixture's server "
                "(it reads HF_ENDPOINT once, at import, and was imported first or HF_ENDPOINT "
                f"was already set). Add `{INI_OPTION} = true` under [tool.pytest.ini_options] "
                "(or [pytest] in pytest.ini) so the Hub starts before any module is imported, "
                "or run the client in a "
                "subprocess: zoo_hub.python(code) / zoo_hub.zoo(*args)."
            )

    def activate(self) -> None:
        """Point this process's environment at the Hub (restored by :meth:`deactivate`)."""
        if self._saved is None:
            names = (*self.env, *_REMOVED)
            self._saved = {name: os.environ.get(name) for name in names}
        os.environ.update(self.env)
        for name in _REMOVED:
            os.environ.pop(name, None)

    def deactivate(self) -> None:
        for name, value in (self._saved or {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved = None

    # -- subprocesses ----------------------------------------------------------------------

    def subprocess_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _REMOVED}
        env.update(self.env)
        env.update(extra or {})
        return env

    def run(
        self,
        args: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
        timeout: float = 300,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``args`` with this Hub's environment; output captured as text.

        With ``check`` a non-zero exit fails the test and shows the process's output.
        """
        done = subprocess.run(
            list(args),
            env=self.subprocess_env(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            pytest.fail(
                f"{' '.join(map(str, args))} exited with {done.returncode}\n"
                f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}",
                pytrace=False,
            )
        return done

    def python(self, code: str, **kwargs) -> subprocess.CompletedProcess[str]:
        """``python -c code`` in a fresh interpreter that talks to this Hub."""
        return self.run([sys.executable, "-c", code], **kwargs)

    def zoo(self, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
        """The ``zoo`` command line (``zoo push``, ``zoo download``...) against this Hub."""
        code = "import sys; from zoo_core.cli import main; sys.exit(main())"
        return self.run([sys.executable, "-c", code, *args], **kwargs)

    def close(self) -> None:
        self.deactivate()
        self.server.stop()
        shutil.rmtree(self.home, ignore_errors=True)


_HUB_KEY = pytest.StashKey[ZooHub]()


def _start(config: pytest.Config) -> ZooHub:
    """The session's Hub, started on first use."""
    hub = config.stash.get(_HUB_KEY, None)
    if hub is None:
        from zoo_core.testing.hub_server import HubServer

        home = Path(tempfile.mkdtemp(prefix="zoo-hub-"))
        hub = ZooHub(HubServer().start(), home)
        config.stash[_HUB_KEY] = hub
    return hub


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        INI_OPTION,
        type="bool",
        default=False,
        help="Start the zoo's loopback Hub before any test module is imported and point "
        "huggingface_hub at it (HF_ENDPOINT...), for the zoo_hub fixture in-process.",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # Called for installed plugins before conftest files are imported: the only moment that
    # comes before every import of huggingface_hub a test suite can make.
    if early_config.getini(INI_OPTION):
        if "huggingface_hub" in sys.modules:
            raise pytest.UsageError(
                f"{INI_OPTION} = true, but huggingface_hub was imported before pytest loaded "
                "the zoo plugin (by another pytest plugin?); it would talk to "
                "the real Hub. Remove that import or use zoo_hub.python()/zoo()."
            )
        _start(early_config).activate()


def pytest_unconfigure(config: pytest.Config) -> None:
    hub = config.stash.get(_HUB_KEY, None)
    if hub is not None:
        hub.close()
        del config.stash[_HUB_KEY]


@pytest.fixture
def zoo_kit():
    """The conformance kit module: ``zoo_kit.check_plugin("my_plugin", tiny={...})``."""
    from zoo_core import testing

    return testing


@pytest.fixture(scope="session")
def zoo_hub(pytestconfig: pytest.Config) -> ZooHub:
    """A loopback Hugging Face Hub for the session (see the module docstring for HF_ENDPOINT).

    Tests share it: use repo ids of your own. ``zoo_hub.server`` has direct access
    (``commit``, ``files``, ``requests``, ``cut_downloads``...).
    """
    hub = _start(pytestconfig)
    fresh = "huggingface_hub" not in sys.modules and "HF_ENDPOINT" not in os.environ
    if fresh:
        hub.activate()
    return hub
