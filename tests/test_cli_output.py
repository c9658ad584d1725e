"""stdout carries a command's result alone (one JSON document with --json); progress, status
lines and warnings go to stderr; help is fast and whole; --device defaults to auto."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from helpers.example import TINY, render_example
from PIL import Image

from zoo_core.cli import cli


@pytest.fixture
def example(plugin_site):
    """The plugin template installed as plugin ``outgan``; yields its model id."""
    model_id = render_example(plugin_site, "outgan")
    plugin_site.activate()
    return model_id


def _run_json(*args: str) -> tuple[object, str]:
    """Run ``zoo ARGS --json``; returns the parsed stdout and the stderr."""
    result = CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    try:
        return json.loads(result.stdout), result.stderr
    except json.JSONDecodeError as exc:  # pragma: no cover - the failure this test is about
        raise AssertionError(
            f"stdout of {args} is not one JSON document:\n{result.stdout}"
        ) from exc


def test_every_reporting_command_writes_one_json_document(example, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        pixels = rng.integers(0, 256, (16, 16), dtype=np.uint8)
        Image.fromarray(pixels).save(data / f"real_{i}.png")
    hub = f"dir:{tmp_path / 'hub'}"

    listed, _ = _run_json("list")
    assert example in [row["id"] for row in listed]
    info, _ = _run_json("info", example)
    assert info["id"] == example and info["metadata"]["zoo"]["architecture"] == "outgan"
    plugins, _ = _run_json("plugins")
    assert "outgan" in [p["name"] for p in plugins]

    run = tmp_path / "run"
    trained, log = _run_json("train", example, "--data", str(data), "--out", str(run),
                             "--steps", "2", "train.batch_size=4", "train.log_every=1",
                             *TINY)  # fmt: skip
    assert trained["step"] == 2 and trained["checkpoint"].endswith("step-00000002.safetensors")
    assert trained["losses_csv"] == str(run / "losses.csv")
    # no terminal: one line per log step on stderr instead of a bar
    assert re.findall(rf"{example} step (\d)/2 d_loss=", log) == ["1", "2"], log

    pushed, _ = _run_json("push", trained["checkpoint"], "--repo-id", "lab/out", "--to", hub)
    assert pushed["repo_id"] == "lab/out" and set(pushed["files"]) >= {"model.safetensors"}
    fetched, _ = _run_json("download", "lab/out", "--source", hub)
    assert fetched["commit"] == pushed["commit"] and not fetched["shipped"]
    assert "model.safetensors" in fetched["files"]

    generated, bar = _run_json("generate", "lab/out", "--source", hub, "-n", "3",
                               "--out", str(tmp_path / "gen"), "--montage")  # fmt: skip
    assert generated["count"] == 3 and len(generated["files"]) == 3
    assert generated["montage"] == str(tmp_path / "gen" / "montage.png")
    assert "Generating" in bar  # the progress bar went to stderr

    evaluated, bar = _run_json("evaluate", "lab/out", "--source", hub, "--real", str(data),
                               "--generate", "4", "--metrics", "memorisation",
                               "--out", str(tmp_path / "eval"))  # fmt: skip
    assert evaluated["n_generated"] == 4 and evaluated["weights"]["repo_id"] == "lab/out"
    assert "memorisation_nn_min" in evaluated["metrics"]
    assert "Generating 4" in bar  # zoo.generate's bar, on stderr since stdout holds JSON


def _cli_subprocess(script: str) -> str:
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


# Every command and plugin sub-command: its --help, then whether torch was imported.
_HELP_OF_EVERY_COMMAND = """
import contextlib, io, json, sys
import click
from zoo_core.cli import cli

def walk(group, path):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield [*path, name]
        if isinstance(command, click.Group):
            yield from walk(command, [*path, name])

paths = list(walk(cli, []))
heavy = []
for path in paths:
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            cli.main([*path, "--help"], prog_name="zoo", standalone_mode=False)
        except SystemExit:
            pass
    if "torch" in sys.modules:
        heavy.append(path)
        break
print(json.dumps({"paths": paths, "heavy": heavy}))
"""


def test_help_of_every_command_imports_no_torch():
    """`zoo generate --help` took 2.4 s: parsing looked architectures up through
    zoo_core.generation, whose package imported torch."""
    found = json.loads(_cli_subprocess(_HELP_OF_EVERY_COMMAND))
    assert ["generate"] in found["paths"] and ["pggan", "generate"] in found["paths"]
    assert found["heavy"] == []


def test_zoo_help_shows_each_command_s_whole_first_line():
    """click cut "Progressive GANs (Beers et al. 2018): ..." at its first full stop."""
    script = "from zoo_core.cli import cli\ncli.main(['--help'], prog_name='zoo')"
    text = _cli_subprocess(script)
    commands = " ".join(text.split("Commands:", 1)[1].split())
    assert "pggan Progressive GANs (Beers et al. 2018): data, latent encoder, interpolation." in (
        commands
    )
    assert "generate Generate N synthetic images with MODEL_ID and write them to --out." in (
        commands
    )
    assert "..." not in commands.replace("train.batch_size=8 ...", "")


_DEVICE_DEFAULTS = (
    _HELP_OF_EVERY_COMMAND.split("paths = ")[0]
    + """
defaults = {}
for path in walk(cli, []):
    command = cli
    for name in path:
        command = command.get_command(click.Context(command), name)
    for param in command.params:
        if param.name == "device":
            defaults[" ".join(path)] = param.default
print(json.dumps(defaults))
"""
)


def test_device_defaults_to_auto():
    defaults = json.loads(_cli_subprocess(_DEVICE_DEFAULTS))
    core = {"generate", "evaluate", "train", "pggan generate", "srgan3d evaluate"}
    assert core <= set(defaults)
    assert {"cgan3d evaluate", "cgan3d reconstruct"} <= set(defaults)
    assert defaults == dict.fromkeys(defaults, "auto")


def test_auto_is_the_gpu_when_there_is_one_else_the_cpu():
    import torch

    from zoo_core.devices import parse_device, resolve_auto

    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_auto("auto") == expected and parse_device("auto").type == expected
    assert resolve_auto("cpu") == "cpu"
