"""The demo pipeline at a tiny setting: every output exists and is marked synthetic, the
published model loads back by id, and a second run (through the CLI, --json) reuses the
dataset, the finished training run, the published commit and the evaluation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image
from zoo_demo.settings import REPO_ID, DemoSettings

from zoo_core import checkpoint as zoo_checkpoint
from zoo_core.errors import ConfigError
from zoo_core.io import SYNTHETIC_NOTE


def _paths(value):
    """Every path-like string in the --json object (values of keys naming files/folders)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _paths(v)
    elif isinstance(value, list):
        for v in value:
            yield from _paths(v)
    elif isinstance(value, str) and value.startswith("/"):
        yield Path(value)


def _png_is_synthetic(path: Path) -> bool:
    with Image.open(path) as image:
        return image.text.get("Synthetic") == "true" and "Provenance" in image.text


def test_every_output_exists_and_is_marked_synthetic(first_run, tiny):
    out, result, text = first_run
    data = result.to_json()
    assert data["model_id"] == REPO_ID
    assert data["source"] == f"dir:{out.resolve() / 'hub'}"
    paths = list(_paths(data))
    assert len(paths) > 20
    for path in paths:
        assert path.exists(), path
    # 4 samples x (T1, grey matter, white matter), each format in files of their own.
    for fmt, suffix in (("png", ".png"), ("nifti", ".nii.gz")):
        files = [Path(p) for p in data["samples"][fmt]["files"]]
        assert len(files) == tiny["samples"] * 3
        names = sorted(p.name for p in files)
        assert names[:3] == [
            f"sample_000_image{suffix}",
            f"sample_000_segmentation_grey-matter{suffix}",
            f"sample_000_segmentation_white-matter{suffix}",
        ]
        record = json.loads(Path(data["samples"][fmt]["provenance"]).read_text())
        assert record["synthetic"] is True
        assert record["weights_repo"] == REPO_ID
        assert record["revision"] == data["commit"]
        assert record["command"] == "zoo demo"
    for p in data["samples"]["png"]["files"]:
        assert _png_is_synthetic(Path(p))
    assert _png_is_synthetic(Path(data["montage"]))
    assert _png_is_synthetic(Path(data["metrics"]["memorisation"]))
    for p in data["samples"]["nifti"]["files"]:
        header = nib.load(p).header
        assert header["descrip"].tobytes().decode().startswith(SYNTHETIC_NOTE[:20])
        assert header.get_intent()[2] == "SYNTHETIC"
    # Every stage announced itself and the outputs were listed by path.
    for n in range(1, 6):
        assert f"Step {n}/5" in text
    assert str(Path(data["montage"])) in text.replace("\n", "")


def test_samples_have_the_slice_geometry_and_montage_shows_all_channels(first_run):
    _, result, _ = first_run
    data = result.to_json()
    image = nib.load(data["samples"]["nifti"]["files"][0])
    assert image.shape == (32, 32)
    # MNI152 at 2 mm: 99 x 116 voxels in plane, padded square to 232 mm over 32 pixels.
    spacing = 116 * 2.0 / 32
    assert np.allclose(np.abs(image.affine[:2, :2]).max(axis=0), spacing)
    assert image.affine[1, 0] < 0  # rows run posterior: anterior at the top of the PNG
    with Image.open(data["montage"]) as montage:
        width, height = montage.size
    # 4 samples in a 2 x 2 grid, each 3 channels of 32 px x 4, with 2 px padding.
    assert (width, height) == (2 + 2 * (3 * 128 + 2), 2 + 2 * (128 + 2))


def test_metrics_are_written_on_the_image_channel(first_run, tiny):
    _, result, _ = first_run
    data = result.to_json()
    metrics = json.loads(Path(data["metrics"]["json"]).read_text())
    assert metrics["n_generated"] == tiny["samples"]
    assert metrics["n_real"] == tiny["eval_real"]
    assert metrics["channels"] == ["T1"]
    assert metrics["extractor"] == "inception-fid"
    for key in ("fid", "kid", "diversity_ms_ssim", "memorisation_ratio"):
        assert math.isfinite(metrics["metrics"][key])
    assert metrics["metrics"]["fid"] > 0
    table = Path(data["metrics"]["markdown"]).read_text()
    assert "| FID ↓ |" in table and "image output (T1)" in table
    assert data["scores"]["fid"] == metrics["metrics"]["fid"]


def test_the_published_model_is_the_trained_one(first_run):
    import zoo_core as zoo

    _, result, _ = first_run
    data = result.to_json()
    model = zoo.load(REPO_ID, source=data["source"])
    assert model.weights_info["revision"] == data["commit"]
    groups, _ = zoo_checkpoint.read(data["checkpoint"])
    weights = zoo_checkpoint.inference_weights(groups)
    state = model.state_dict()
    assert all(torch.equal(state[k], weights[k]) for k in weights)
    assert not any(k.startswith("encoder.") for k in state)  # model.encoder=false
    # The first PNG sample is the first generated sample at seed 0.
    again = zoo.generate(model, n=1, seed=0)
    pixels = np.asarray(Image.open(data["samples"]["png"]["files"][0]), dtype=np.float64)
    expected = (again[0, 0].clamp(-1, 1).numpy() + 1) / 2 * 255
    assert np.abs(pixels - expected).max() <= 0.5 + 1e-6


def test_a_second_run_reuses_everything_and_prints_one_json_object(first_run, tiny):
    from zoo_core.cli import cli

    out, result, _ = first_run
    ckpt = Path(result.checkpoint)
    mtime = ckpt.stat().st_mtime_ns
    commits = sorted(p.name for p in (out / "hub" / REPO_ID / "commits").iterdir())
    args = ["demo", "--out", str(out), "--json", "--steps", str(tiny["steps"])]
    args += ["--samples", str(tiny["samples"]), "--eval-real", str(tiny["eval_real"])]
    run = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)  # exactly one JSON object on stdout, nothing else
    assert data["reused"] == {
        "dataset": True,
        "training": True,
        "published_commit": True,
        "evaluation": True,
    }
    assert data["commit"] == result.commit
    assert data["checkpoint"] == str(ckpt)
    assert ckpt.stat().st_mtime_ns == mtime  # not retrained, not rewritten
    assert sorted(p.name for p in (out / "hub" / REPO_ID / "commits").iterdir()) == commits
    for key in ("model_id", "hub", "commit", "samples", "montage", "metrics", "loss_plot"):
        assert key in data
    for path in _paths(data):
        assert path.exists(), path


def test_identical_commit_compares_the_weights(first_run, tmp_path):
    from zoo_demo.publish import identical_commit

    out, result, _ = first_run
    hub = out / "hub"
    assert identical_commit(result.checkpoint, REPO_ID, hub) == result.commit
    groups, info = zoo_checkpoint.read(result.checkpoint)
    name = next(k for k in groups["model"] if k.endswith("weight"))
    groups["model"][name] = groups["model"][name] + 1e-3
    changed = zoo_checkpoint.write(
        tmp_path / "changed.safetensors",
        groups,
        model_id=info["model_id"],
        config_yaml=info["config"],
        state=info["state"],
    )
    assert identical_commit(changed, REPO_ID, hub) is None
    assert identical_commit(result.checkpoint, REPO_ID, tmp_path / "empty-hub") is None


def test_schedule_shares_the_steps_between_resolutions():
    assert DemoSettings(steps=800).schedule(4) == (100, 100)
    assert DemoSettings(steps=4).schedule(4) == (1, 0)
    assert DemoSettings(steps=10).schedule(4) == (1, 1)
    overrides = DemoSettings(steps=800).overrides(4)
    assert "train.steps=800" in overrides and "train.fade_in_steps=100" in overrides


def test_too_few_steps_is_a_clear_error_before_anything_is_written(tmp_path):
    from zoo_demo.pipeline import run_demo

    with pytest.raises(ConfigError, match=r"--steps 3 is too few.*4 resolutions"):
        run_demo(tmp_path / "out", steps=3, progress=False)
    assert not (tmp_path / "out").exists()


def test_one_thread_only_while_the_machine_is_busy(monkeypatch):
    import io

    from rich.console import Console
    from zoo_demo.display import Display
    from zoo_demo.pipeline import single_thread_when_busy

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    display = Display(Console(file=io.StringIO(), width=120))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        monkeypatch.setattr("os.getloadavg", lambda: (6.2, 6.0, 5.0))
        with single_thread_when_busy(display):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        assert "busy (load 6.2 on 2 cores)" in display.console.file.getvalue()
        monkeypatch.setattr("os.getloadavg", lambda: (0.3, 0.2, 0.1))
        with single_thread_when_busy(display):
            assert torch.get_num_threads() == 2
        monkeypatch.setenv("OMP_NUM_THREADS", "2")
        monkeypatch.setattr("os.getloadavg", lambda: (6.2, 6.0, 5.0))
        with single_thread_when_busy(display):
            assert torch.get_num_threads() == 2  # the user's explicit choice wins
    finally:
        torch.set_num_threads(before)


def test_force_starts_over_and_keeps_foreign_files(first_run, tiny):
    """Last in this file: it rewrites the shared run's folder."""
    import io

    from rich.console import Console
    from zoo_demo.pipeline import run_demo

    out, result, _ = first_run
    ckpt = Path(result.checkpoint)
    mtime = ckpt.stat().st_mtime_ns
    (out / "notes.txt").write_text("mine")
    again = run_demo(out, force=True, progress=False, console=Console(file=io.StringIO()), **tiny)
    assert not any(again.reused.values())
    assert ckpt.stat().st_mtime_ns != mtime  # trained again
    assert len(list((out / "hub" / REPO_ID / "commits").iterdir())) == 1  # a fresh hub
    assert (out / "notes.txt").read_text() == "mine"  # not the demo's: left alone
