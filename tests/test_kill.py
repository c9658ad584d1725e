"""``kill -9`` at any moment of training loses at most one checkpoint interval, and resuming
gives the weights of a run that was never interrupted (a real SIGKILL, in a subprocess)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from zoo_core.training import latest_checkpoint
from zoo_core.weights import load_state_dict

TESTS = Path(__file__).parent
STEPS = 7  # kill_worker.SETTINGS checkpoints every 2 steps


def train(out: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(TESTS)}
    command = [sys.executable, "-m", "helpers.kill_worker", str(out), str(STEPS), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict[str, torch.Tensor]:
    out = tmp_path_factory.mktemp("straight")
    result = train(out)
    assert result.returncode == 0, result.stderr[-3000:]
    return load_state_dict(out / "final.safetensors")


@pytest.mark.parametrize(
    ("kill", "last_good"),
    [
        (["--kill-at-step", "1"], None),  # before the first checkpoint
        (["--kill-at-step", "5"], 4),  # between checkpoints
        (["--kill-in-write", "2"], 2),  # half-way through writing step 4's checkpoint
    ],
    ids=["before-any-checkpoint", "between-checkpoints", "during-a-checkpoint-write"],
)
def test_sigkill_then_resume_gives_the_uninterrupted_weights(
    tmp_path, uninterrupted, kill, last_good
):
    killed = train(tmp_path, *kill)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    newest = latest_checkpoint(tmp_path)
    if last_good is None:
        assert newest is None
    else:
        assert newest.name == f"step-{last_good:08d}.safetensors"  # at most one interval lost
    if "--kill-in-write" in kill:  # the half-written file never took a checkpoint's name
        names = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
        assert names[0].startswith(".step-00000004.safetensors.") and names[0].endswith(".tmp")
        assert names[1:] == ["step-00000002.safetensors"]

    resumed = train(tmp_path, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    final = load_state_dict(tmp_path / "final.safetensors")
    assert final.keys() == uninterrupted.keys()
    different = [k for k in final if not torch.equal(final[k], uninterrupted[k])]
    assert not different, f"differ from the uninterrupted run: {different}"
