"""train.precision and train.channels_last: what each name resolves to, and a bf16 step."""

from __future__ import annotations

import pytest
import torch

from zoo_core import precision
from zoo_core.errors import ConfigError


def test_names_resolve_to_autocast_dtypes_on_cpu():
    assert precision.resolve("fp32", "cpu") is None
    assert precision.resolve("bf16", "cpu") is torch.bfloat16
    expected = torch.bfloat16 if precision.cpu_has_fast_bf16() else None
    assert precision.resolve("auto", "cpu") is expected


def test_unknown_or_impossible_precisions_are_named():
    with pytest.raises(ConfigError, match="'fp8' is not one of auto, fp32, bf16, fp16"):
        precision.resolve("fp8", "cpu")
    with pytest.raises(ConfigError, match="fp16 needs a CUDA GPU"):
        precision.resolve("fp16", "cpu")


def test_autocast_runs_convolutions_in_bf16_and_fp32_is_untouched():
    conv = torch.nn.Conv3d(2, 4, 3)
    x = torch.randn(1, 2, 6, 6, 6)
    with precision.autocast("cpu", torch.bfloat16):
        assert conv(x).dtype == torch.bfloat16
    with precision.autocast("cpu", None):
        assert conv(x).dtype == torch.float32


def test_channels_last_keeps_values_and_converts_2d_and_3d_weights():
    net = torch.nn.ModuleDict({"a": torch.nn.Conv2d(3, 8, 3), "b": torch.nn.Conv3d(3, 8, 3)})
    before = {k: v.clone() for k, v in net.state_dict().items()}
    precision.to_channels_last(net)
    assert net["a"].weight.is_contiguous(memory_format=torch.channels_last)
    assert net["b"].weight.is_contiguous(memory_format=torch.channels_last_3d)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


@pytest.fixture
def example(plugin_site):
    """The plugin template installed as plugin ``halfgan``; yields its model id."""
    from helpers.example import render_example

    model_id = render_example(plugin_site, "halfgan")
    plugin_site.activate()
    return model_id


def test_dtype_on_train_generate_and_evaluate(example, tmp_path):
    """--dtype is train.precision for zoo train and the weights' dtype for zoo generate and
    zoo evaluate, recorded where the results are."""
    import json

    import numpy as np
    from click.testing import CliRunner
    from helpers.example import TINY
    from omegaconf import OmegaConf
    from PIL import Image

    from zoo_core import checkpoint
    from zoo_core.cli import cli

    data = tmp_path / "data"
    data.mkdir()
    for i in range(8):
        pixels = np.random.default_rng(i).integers(0, 256, (16, 16), dtype=np.uint8)
        Image.fromarray(pixels).save(data / f"real_{i}.png")

    def run(*args: str) -> dict:
        result = CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    trained = run("train", example, "--data", str(data), "--out", str(tmp_path / "run"),
                  "--steps", "1", "--dtype", "bf16", "train.batch_size=4", *TINY)  # fmt: skip
    saved = OmegaConf.create(checkpoint.read_info(trained["checkpoint"])["config"])
    assert saved.train.precision == "bf16"
    ckpt = trained["checkpoint"]

    outputs = {}
    for dtype in ("fp32", "bf16"):
        out = tmp_path / f"gen-{dtype}"
        run("generate", ckpt, "-n", "2", "--out", str(out), "--dtype", dtype)
        provenance = json.loads((out / "provenance.json").read_text())
        assert provenance["dtype"] == {"fp32": "float32", "bf16": "bfloat16"}[dtype]
        outputs[dtype] = [np.asarray(Image.open(f), dtype=float) for f in sorted(out.glob("*.png"))]
    differences = [np.abs(a - b).max() for a, b in zip(*outputs.values(), strict=True)]
    assert 0 < max(differences) <= 16, differences  # bf16 rounding, in 8-bit grey levels

    evaluated = run("evaluate", ckpt, "--real", str(data), "--generate", "4", "--dtype", "bf16",
                    "--metrics", "memorisation", "--out", str(tmp_path / "eval"))  # fmt: skip
    assert evaluated["n_generated"] == 4 and "memorisation_nn_min" in evaluated["metrics"]

    refused = CliRunner().invoke(cli, ["generate", ckpt, "-n", "1", "--out", str(tmp_path / "x"),
                                       "--dtype", "int8"])  # fmt: skip
    assert refused.exit_code == 2 and "'int8' is not one of" in refused.output
