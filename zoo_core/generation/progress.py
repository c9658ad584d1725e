"""Progress of long work inside one ``generate`` call, shown by whoever is watching.

A model may spend minutes before its first sample (the style cGAN adapts its generator to a
style image); the caller's progress bar cannot see inside. The model calls :func:`report`;
``zoo generate`` listens with :func:`reporting` and shows it as a second bar. Without a
listener, :func:`report` does nothing, so library users see no output they did not ask for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Listener = Callable[[str, int, int], None]

_listener: ContextVar[Listener | None] = ContextVar("zoo_generation_progress", default=None)


def report(description: str, done: int, total: int) -> None:
    """``done`` of ``total`` steps of the work ``description`` names."""
    listener = _listener.get()
    if listener is not None:
        listener(description, done, total)


@contextmanager
def reporting(listener: Listener) -> Iterator[None]:
    """Send every :func:`report` made inside the block to ``listener``."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)
