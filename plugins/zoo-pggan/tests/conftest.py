"""Shared fixtures: tiny configs and the real MNI152 slices, prepared once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

#: Small enough for a CPU test, big enough to have three levels (4, 8, 16).
TINY = ["model.max_resolution=16", "model.filters=8", "model.filters_at=[]"]


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """The test machine is shared: one intra-op thread is many times faster than two that
    fight other processes for the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def mni_dir(tmp_path_factory) -> Path:
    from zoo_pggan.prepare import prepare_mni152

    out = tmp_path_factory.mktemp("mni152")
    prepare_mni152(out, resolution=2)
    return out


def _tiny_model(model_id: str = "beers-pggan-mni152", extra: list[str] | None = None):
    import zoo_core as zoo

    torch.manual_seed(0)
    return zoo.load(model_id, pretrained=False, overrides=TINY + list(extra or []))


@pytest.fixture
def tiny_model():
    """A factory: ``tiny_model(model_id="beers-pggan-mni152", extra=[overrides])``."""
    return _tiny_model
