"""Where the ``zoo`` command line writes: the result on stdout, everything else on stderr.

``zoo list --json > models.json`` and ``zoo evaluate ... --json | jq`` need stdout to hold
the result alone. Progress bars, status lines ("Resumed from step 40") and warnings go to
stderr: library code logs through ``logging.getLogger(__name__)`` and stays silent unless
an application configures logging, and :func:`configure_logging`, called once per
invocation by the ``zoo`` group, shows INFO and above from the zoo's own loggers on stderr.

Only click and the standard library are imported here, so ``--help`` stays fast.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click

#: Loggers whose INFO lines the CLI shows: the core and its plugins (zoo_pggan, zoo_demo...).
ZOO_LOGGER_PREFIX = "zoo"


class _StderrHandler(logging.StreamHandler):
    """Writes to ``sys.stderr`` as it is when each record is emitted, not as it was when the
    handler was made: click's CliRunner swaps ``sys.stderr`` for every invocation."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        """StreamHandler assigns its stream in __init__; the live ``sys.stderr`` wins."""


class _ZooInfoFilter(logging.Filter):
    """INFO and above from the zoo's loggers, WARNING and above from everyone else's."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return record.levelno >= logging.INFO and record.name.startswith(ZOO_LOGGER_PREFIX)


class _Formatter(logging.Formatter):
    """Status lines as they are; warnings and errors prefixed with their level."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {message}"
        return message


def configure_logging() -> None:
    """Send log records to stderr, once per process (later calls change nothing)."""
    root = logging.getLogger()
    if any(isinstance(h, _StderrHandler) for h in root.handlers):
        return
    handler = _StderrHandler()
    handler.addFilter(_ZooInfoFilter())
    handler.setFormatter(_Formatter())
    root.addHandler(handler)
    if root.level > logging.INFO:  # plugin loggers (zoo_pggan.cli) inherit the root's level
        root.setLevel(logging.INFO)


def echo_json(value: Any) -> None:
    """``value`` as one JSON document on stdout; paths, dates and the like as strings."""
    click.echo(json.dumps(value, indent=2, default=str))


def stderr_console() -> Any:
    """A rich console on stderr, for progress bars: they must never mix into a result that
    stdout carries (a JSON document, a table piped to grep)."""
    from rich.console import Console

    return Console(stderr=True)


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal: rich tables there, plain text tables for pipes and files."""
    return sys.stdout.isatty()
