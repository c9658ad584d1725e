"""One tiny demo run shared by the tests (module scope): training and Inception are the
expensive parts, so they run once and the tests read what they left."""

from __future__ import annotations

import io

import pytest
import torch

#: 4 steps: one at each resolution (4, 8, 16, 32 px); 4 samples against 6 real slices.
TINY = {"steps": 4, "samples": 4, "eval_real": 6}


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """The test machine is shared: one intra-op thread beats two that fight for the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tiny() -> dict:
    return dict(TINY)


def quiet_console():
    from rich.console import Console

    return Console(file=io.StringIO(), width=120)


@pytest.fixture(scope="session")
def first_run(tmp_path_factory):
    """``(out_dir, DemoResult, console text)`` of a tiny demo run."""
    from zoo_demo.pipeline import run_demo

    out = tmp_path_factory.mktemp("demo") / "out"
    console = quiet_console()
    result = run_demo(out, progress=False, console=console, **TINY)
    return out, result, console.file.getvalue()
