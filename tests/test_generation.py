"""Generation: reproducible seeds, the synthetic Dataset, sliding-window volumes, the CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from torch import nn

import zoo_core as zoo
from zoo_core.cli import cli
from zoo_core.cli.scaffold import render_plugin
from zoo_core.errors import ZooError
from zoo_core.generation import SyntheticDataset, infer_volume, output_affine
from zoo_core.interfaces.model import GANModel

TINY = ["model.base_filters=8", "model.latent_dim=16"]
MODEL_ID = "test-tinygan-example"


@pytest.fixture
def tiny_plugin(plugin_site, tmp_path):
    """The `zoo new-plugin` template, registered as an installed plugin (no pip)."""
    plugin_site.add_rendered(render_plugin("tinygan", "test", tmp_path))
    plugin_site.activate()
    return MODEL_ID


@pytest.fixture
def tiny_model(tiny_plugin):
    return zoo.load(tiny_plugin, pretrained=False, overrides=TINY)


# -- zoo.generate and SyntheticDataset ---------------------------------------------------------


def test_generate_with_a_seed_is_reproducible_and_independent_of_batch_size(tiny_model):
    a = zoo.generate(tiny_model, n=7, seed=3, batch_size=4)
    b = zoo.generate(tiny_model, n=5, seed=3, batch_size=2)
    assert a.shape == (7, 1, 32, 32)
    assert torch.equal(a[:5], b)
    assert torch.equal(zoo.generate(tiny_model, n=3, seed=3, first_index=4), a[4:])
    assert not torch.equal(zoo.generate(tiny_model, n=2, seed=4), a[:2])
    assert a.min() >= -1 and a.max() <= 1


def test_generate_by_id_loads_the_model_and_checks_arguments(tiny_plugin):
    out = zoo.generate(tiny_plugin, n=2, seed=0, pretrained=False, overrides=TINY)
    assert out.shape == (2, 1, 32, 32)
    with pytest.raises(ZooError, match="unconditional"):
        zoo.generate(tiny_plugin, condition=torch.zeros(1, 1, 32, 32), pretrained=False)
    with pytest.raises(ZooError, match="batch_size"):
        zoo.generate(tiny_plugin, n=2, batch_size=0, pretrained=False)


def test_synthetic_dataset_items_are_reproducible_in_any_order_and_with_workers(tiny_model):
    reference = zoo.generate(tiny_model, n=10, seed=5)
    ds = SyntheticDataset(tiny_model, length=10, seed=5, batch_size=3)
    assert len(ds) == 10
    assert torch.equal(ds[7]["target"], reference[7])
    assert torch.equal(ds[2]["target"], reference[2])  # backwards: another cache block
    other = SyntheticDataset(tiny_model, length=10, seed=5, batch_size=8, as_dict=False)
    assert torch.equal(other[7], reference[7])
    loader = torch.utils.data.DataLoader(ds, batch_size=4, num_workers=2)
    streamed = torch.cat([batch["target"] for batch in loader])
    assert torch.equal(streamed, reference)
    with pytest.raises(IndexError):
        ds[10]


# -- whole-volume inference --------------------------------------------------------------------


class BlockModel(GANModel):
    """A conditional toy block model: one conv (kernel k), optional nearest upsampling."""

    conditional = True
    value_range = (-10.0, 10.0)

    def __init__(self, kernel: int = 1, scale: int = 1, dims: int = 3):
        super().__init__()
        conv = nn.Conv3d if dims == 3 else nn.Conv2d
        self.generator = conv(1, 2, kernel, padding=kernel // 2)
        self.scale = scale
        self.seen: list[tuple[int, ...]] = []

    def sample(self, n, condition, generator):
        self.seen.append(tuple(condition.shape))
        if self.scale > 1:
            condition = nn.functional.interpolate(condition, scale_factor=self.scale)
        return self.generator(condition)


@pytest.mark.parametrize(
    ("mode", "overlap"), [("gaussian", 0.5), ("constant", 0.0), ("constant", 0.25)]
)
def test_sliding_window_equals_direct_inference_for_a_pointwise_model(mode, overlap):
    torch.manual_seed(0)
    model = BlockModel(kernel=1)
    volume = torch.rand(1, 20, 18, 12)
    direct = model.generate(condition=volume[None])[0]
    model.seen.clear()
    stitched = infer_volume(model, volume, 8, overlap=overlap, mode=mode, sw_batch_size=3)
    assert stitched.shape == direct.shape == (2, 20, 18, 12)
    assert torch.allclose(stitched, direct, atol=1e-5)
    # memory bounded: the model only ever saw at most 3 blocks of 8^3
    assert max(s[0] for s in model.seen) <= 3
    assert {s[2:] for s in model.seen} == {(8, 8, 8)}


def test_sliding_window_equals_direct_inference_where_the_volume_is_one_block():
    torch.manual_seed(0)
    model = BlockModel(kernel=3)
    volume = torch.rand(1, 16, 16, 16)
    direct = model.generate(condition=volume[None])[0]
    assert torch.allclose(infer_volume(model, volume, 16), direct, atol=1e-6)
    # 2D models work the same way
    model2d = BlockModel(kernel=3, dims=2)
    image = torch.rand(1, 24, 24)
    direct2d = model2d.generate(condition=image[None])[0]
    assert torch.allclose(infer_volume(model2d, image, (24, 24)), direct2d, atol=1e-6)


def test_sliding_window_upsamples_for_super_resolution_models():
    torch.manual_seed(0)
    model = BlockModel(kernel=1, scale=2)
    volume = torch.rand(1, 20, 24, 12)
    direct = model.generate(condition=volume[None])[0]
    stitched = infer_volume(model, volume, 8, overlap=0.5, mode="gaussian")
    assert stitched.shape == (2, 40, 48, 24)
    assert torch.allclose(stitched, direct, atol=1e-5)


def test_generate_routes_large_conditions_of_block_models_through_infer_volume():
    model = BlockModel(kernel=1)
    model.block_size = (8, 8, 8)
    volume = torch.rand(1, 1, 20, 20, 12)
    out = zoo.generate(model, condition=volume, seed=1)
    assert out.shape == (1, 2, 20, 20, 12)
    assert {s[2:] for s in model.seen} == {(8, 8, 8)}


def test_output_affine_halves_spacing_and_keeps_the_centre():
    affine = np.diag([2.0, 2.0, 3.0, 1.0])
    affine[:3, 3] = [-10, 5, 7]
    new = output_affine(affine, (10, 10, 8), (20, 20, 16))
    assert np.allclose(np.diag(new)[:3], [1.0, 1.0, 1.5])
    centre_old = affine @ np.array([4.5, 4.5, 3.5, 1])
    centre_new = new @ np.array([9.5, 9.5, 7.5, 1])
    assert np.allclose(centre_old, centre_new)
    assert np.array_equal(output_affine(affine, (4, 4, 4), (4, 4, 4)), affine)


# -- the command line --------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    output: str


def _zoo(*args: str) -> Run:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return Run(result.exit_code, result.output)


def test_zoo_generate_writes_marked_pngs_provenance_and_a_montage(tiny_plugin, tmp_path):
    from PIL import Image

    out = tmp_path / "samples"
    run = _zoo(
        "generate",
        tiny_plugin,
        "-n",
        "3",
        "--out",
        str(out),
        "--seed",
        "2",
        "--untrained",
        "--montage",
        "--batch-size",
        "2",
    )
    assert run.code == 0, run.output
    pngs = sorted(out.glob("sample_*.png"))
    assert [p.name for p in pngs] == ["sample_00000.png", "sample_00001.png", "sample_00002.png"]
    assert "synthetic" in json.dumps(Image.open(pngs[0]).text).lower()
    assert (out / "montage.png").is_file()
    record = json.loads(next(out.glob("provenance*.json")).read_text())
    assert record["seed"] == 2 and "untrained" in json.dumps(record)
    # without --untrained the model's missing weights are explained in one line
    run = _zoo("generate", tiny_plugin, "-n", "1", "--out", str(out))
    assert run.code == 1 and "No weights are published" in run.output


def test_zoo_generate_explains_missing_arguments(tiny_plugin, tmp_path):
    run = _zoo("generate", tiny_plugin, "--out", str(tmp_path), "--untrained")
    assert run.code == 1 and "pass -n N" in run.output


def test_zoo_evaluate_generated_against_real_pngs(tiny_plugin, tmp_path):
    from PIL import Image

    real = tmp_path / "real"
    real.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        Image.fromarray(rng.integers(0, 255, (32, 32), dtype=np.uint8)).save(real / f"r{i}.png")
    out = tmp_path / "eval"
    run = _zoo(
        "evaluate",
        tiny_plugin,
        "--real",
        str(real),
        "--generate",
        "4",
        "--untrained",
        "--metrics",
        "diversity,memorisation",
        "--out",
        str(out),
    )
    assert run.code == 0, run.output
    assert "MS-SSIM among generated" in run.output
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["n_generated"] == 4 and saved["n_real"] == 6
    assert 0 < saved["metrics"]["memorisation_nn_min"] <= 1
    assert (out / "memorisation.png").is_file()
    run = _zoo("evaluate", tiny_plugin, "--real", str(real), "--untrained")
    assert run.code == 1 and "exactly one of" in run.output
