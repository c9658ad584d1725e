"""Generation: reproducible seeds, the synthetic Dataset, sliding-window volumes, volumes
through 2D models slice by slice, output units, the CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from omegaconf import OmegaConf
from torch import nn

import zoo_core as zoo
from zoo_core.cli import cli
from zoo_core.cli.scaffold import render_plugin
from zoo_core.data.intensity import CTWindow, MRNormalize
from zoo_core.errors import ConfigError, ZooError
from zoo_core.generation import (
    SyntheticDataset,
    infer_slices,
    infer_volume,
    output_affine,
    output_intensity,
    spatial_dims_of,
)
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


class OriginModel(BlockModel):
    """Records where each block starts: the condition's channels are voxel coordinates."""

    window_alignment = 2
    value_range = (0.0, 100.0)

    def sample(self, n, condition, generator):
        self.seen.extend(tuple(int(c) for c in block[:, 0, 0, 0]) for block in condition)
        return condition[:, :1]


def test_sliding_windows_start_on_the_lattice_the_model_asks_for():
    model = OriginModel()
    shape = (21, 16, 9)  # odd sizes: MONAI's last window would start at 13 and 1
    grid = torch.stack(torch.meshgrid(*[torch.arange(float(n)) for n in shape], indexing="ij"))
    out = infer_volume(model, grid, 8, overlap=0.5, mode="constant", sw_batch_size=4)
    assert out.shape == (1, *shape)
    assert torch.allclose(out[0], grid[0])  # padded at the far ends and cropped back
    assert model.seen and all(c % 2 == 0 for origin in model.seen for c in origin)
    assert max(origin[0] for origin in model.seen) == 14  # the padded 22 - 8, not 21 - 8
    with pytest.raises(ZooError, match=r"overlap of 0.375 steps by 5 voxels"):
        infer_volume(model, grid, 8, overlap=0.375)


class BlockMeanModel(BlockModel):
    """Each block becomes its own mean: shows exactly which voxels formed each block."""

    def sample(self, n, condition, generator):
        self.seen.append(tuple(condition.shape))
        means = condition.mean(dim=(2, 3, 4), keepdim=True)
        shape = [s * self.scale for s in condition.shape[2:]]
        return means.expand(-1, 2, *shape)


@pytest.mark.parametrize("scale", [1, 2])
def test_block_tiling_cuts_disjoint_blocks_from_the_origin_and_pads_the_far_ends(scale):
    torch.manual_seed(0)
    model = BlockMeanModel(scale=scale)  # scale 2: super-resolution
    volume = torch.rand(1, 20, 16, 12)  # 20 and 12 are not multiples of 8
    out = infer_volume(model, volume, 8, tiling="blocks", sw_batch_size=4)
    assert out.shape == (2, 20 * scale, 16 * scale, 12 * scale)
    assert len(model.seen) == 3  # 3 x 2 x 2 = 12 blocks, 4 per call, none shifted or repeated
    padded = nn.functional.pad(volume[None], (0, 4, 0, 0, 0, 4), mode="replicate")[0]
    for i, j, k in [(0, 0, 0), (2, 1, 1), (1, 0, 1)]:
        block = padded[:, 8 * i : 8 * i + 8, 8 * j : 8 * j + 8, 8 * k : 8 * k + 8]
        region = out[:, 8 * i * scale : (8 * i + 8) * scale, 8 * j * scale : (8 * j + 8) * scale,
                     8 * k * scale : (8 * k + 8) * scale]  # fmt: skip
        torch.testing.assert_close(region, block.mean().expand_as(region))


class DeepBlockModel(BlockModel):
    """Three 3^3 convolutions: each output voxel sees 3 voxels on every side."""

    def __init__(self, scale: int = 1):
        super().__init__(scale=scale)
        self.generator = nn.Sequential(
            nn.Conv3d(1, 4, 3, padding=1), nn.Tanh(), nn.Conv3d(4, 4, 3, padding=1), nn.Tanh(),
            nn.Conv3d(4, 2, 3, padding=1),
        )  # fmt: skip


@pytest.mark.parametrize("scale", [1, 2])
def test_a_margin_of_the_receptive_radius_makes_blocks_equal_whole_volume_inference(scale):
    torch.manual_seed(0)
    model = DeepBlockModel(scale=scale)
    volume = torch.rand(1, 20, 18, 13)
    with torch.no_grad():
        direct = model.generate(condition=volume[None])[0]
    inner = (slice(None), *[slice(3 * scale, -3 * scale)] * 3)  # away from the volume's border
    blended = infer_volume(model, volume, 8, overlap=0.5)
    assert (blended - direct)[inner].abs().max() > 1e-3  # zero padding inside each block
    model.seen.clear()
    framed = infer_volume(model, volume, 8, margin=3, sw_batch_size=4)
    assert framed.shape == direct.shape
    torch.testing.assert_close(framed[inner], direct[inner], atol=1e-4, rtol=0)
    assert {s[2:] for s in model.seen} == {(14, 14, 14)}  # blocks of 8 + 2 x 3
    tiled = infer_volume(model, volume, 8, margin=3, tiling="blocks")
    torch.testing.assert_close(tiled[inner], direct[inner], atol=1e-4, rtol=0)


def test_generate_routes_large_conditions_of_block_models_through_infer_volume():
    model = BlockModel(kernel=1)
    model.block_size = (8, 8, 8)
    volume = torch.rand(1, 1, 20, 20, 12)
    out = zoo.generate(model, condition=volume, seed=1)
    assert out.shape == (1, 2, 20, 20, 12)
    assert {s[2:] for s in model.seen} == {(8, 8, 8)}


# -- volumes through 2D models -----------------------------------------------------------------


class SliceModel(GANModel):
    """A 2D conditional toy (3x3 conv) that only takes sizes that are multiples of 4."""

    conditional = True
    value_range = (-10.0, 10.0)
    size_multiple = 4

    def __init__(self, scale: int = 1):
        super().__init__()
        torch.manual_seed(0)
        self.generator = nn.Conv2d(1, 2, 3, padding=1)
        self.scale = scale
        self.card = SimpleNamespace(zoo={"dims": 2})
        self.seen: list[tuple[int, ...]] = []

    def sample(self, n, condition, generator):
        assert condition.ndim == 4 and not any(s % 4 for s in condition.shape[2:])
        self.seen.append(tuple(condition.shape))
        out = self.generator(condition)
        return F.interpolate(out, scale_factor=self.scale) if self.scale > 1 else out


def _by_hand(model: SliceModel, volume: torch.Tensor, axis: int) -> torch.Tensor:
    """Each slice on its own: pad to a multiple of 4 with -1, translate, crop, stack."""
    outputs = []
    for i in range(volume.shape[1 + axis]):
        image = volume.select(1 + axis, i)[None]  # (1, C, H, W)
        h, w = image.shape[2:]
        padded = F.pad(image, (0, (-w) % 4, 0, (-h) % 4), value=-1.0)
        k = model.scale
        outputs.append(model.generate(condition=padded)[0, :, : h * k, : w * k])
    return torch.stack(outputs, dim=1 + axis)


def test_zoo_generate_runs_a_2d_model_over_a_volume_slice_by_slice_in_bounded_batches():
    model = SliceModel()
    volume = torch.rand(1, 10, 9, 5) * 2 - 1  # in-plane sizes that are no multiple of 4
    expected = _by_hand(model, volume, axis=2)
    model.seen.clear()
    out = zoo.generate(model, condition=volume[None], batch_size=3, seed=0)
    assert out.shape == (1, 2, 10, 9, 5)
    assert torch.allclose(out[0], expected, atol=1e-6)
    # never more than batch_size slices through the model, each padded to 12 x 12
    assert model.seen == [(3, 1, 12, 12), (2, 1, 12, 12)]
    # sagittal slices, and a 2D super-resolution model (x2 in-plane, not along the slices)
    sagittal = infer_slices(model, volume, axis=0)
    assert torch.allclose(sagittal, _by_hand(model, volume, 0), atol=1e-6)
    sr = SliceModel(scale=2)
    up = infer_slices(sr, volume, axis=2, batch_size=4)
    assert up.shape == (2, 20, 18, 5)
    assert torch.allclose(up, _by_hand(sr, volume, 2), atol=1e-6)


def test_slice_axis_comes_from_the_config_and_dims_from_the_data_mode():
    model = SliceModel()
    model.card = None
    model.config = OmegaConf.create({"data": {"mode": "slices", "slice_axis": 1}})
    assert spatial_dims_of(model) == 2
    volume = torch.rand(1, 4, 6, 8)
    out = zoo.generate(model, condition=volume[None], batch_size=2)
    assert [s[0] for s in model.seen] == [2, 2, 2]  # 6 coronal slices, 2 at a time
    assert torch.allclose(out[0], _by_hand(model, volume, axis=1), atol=1e-6)
    model.config = OmegaConf.create({"data": {"mode": "blocks"}})
    assert spatial_dims_of(model) == 3
    with pytest.raises(ZooError, match="slice axis"):
        infer_slices(model, volume, axis=3)


def test_output_intensity_must_be_a_fixed_transform():
    model = SliceModel()
    assert output_intensity(model) is None  # the default: outputs in the condition's units
    model.output_intensity = lambda: CTWindow(-500.0, 1500.0)
    assert output_intensity(model) == CTWindow(-500.0, 1500.0)
    model.output_intensity = lambda: MRNormalize()
    with pytest.raises(ConfigError, match="unfitted 'mr'"):
        output_intensity(model)
    model.output_intensity = lambda: "ct"
    with pytest.raises(ConfigError, match="returned a str"):
        output_intensity(model)


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
    run = _zoo("evaluate", tiny_plugin, "--real", str(real), "--generate", "4", "--untrained",
               "--metrics", "fid", "--extractor", "nope", "--out", str(out))  # fmt: skip
    assert run.code == 1 and "Unknown feature extractor 'nope'" in run.output
    run = _zoo("evaluate", tiny_plugin, "--real", str(real), "--untrained")
    assert run.code == 1 and "no evaluation protocol of its own: pass --fake PATH" in run.output


# -- output units: a tiny MR -> CT translation plugin ------------------------------------------

_TRANS_INIT = """
from dataclasses import dataclass

from zoo_core import ArchSpec, ModelSpec, hookimpl


@dataclass
class TransConfig:
    declare_ct: bool = True


@hookimpl
def register_architectures(register):
    register(ArchSpec(name="tinytrans", builder="zoo_tinytrans.model:build", config=TransConfig))


@hookimpl
def register_models(register):
    for model_id in ("test-tinytrans-mrct", "test-tinytrans-mr"):
        register(
            ModelSpec(
                id=model_id,
                architecture="tinytrans",
                config="zoo_tinytrans:configs/" + model_id + ".yaml",
                card="zoo_tinytrans:model_cards/" + model_id + ".md",
            )
        )
"""

_TRANS_MODEL = """
from torch import nn

from zoo_core.data.intensity import CTWindow
from zoo_core.interfaces.model import GANModel


class Translator(GANModel):
    # The identity on [-1, 1]: what comes out is the normalised MR, read as a CT if declared.
    conditional = True
    size_multiple = 4

    def __init__(self, cfg):
        super().__init__()
        self.declare_ct = cfg.declare_ct
        self.generator, self.discriminator = nn.Identity(), nn.Identity()

    def sample(self, n, condition, generator):
        if condition.ndim != 4 or any(s % 4 for s in condition.shape[2:]):
            raise ValueError(f"2D slices with sides multiple of 4 only, not {condition.shape}")
        return condition.clone()

    def output_intensity(self):
        return CTWindow(*self.config.data.hu_window) if self.declare_ct else None


def build(cfg):
    return Translator(cfg)
"""


@pytest.fixture
def translation_plugin(plugin_site):
    import yaml
    from helpers.cards import card_metadata

    files = {"__init__.py": _TRANS_INIT, "model.py": _TRANS_MODEL}
    for model_id, ct in (("test-tinytrans-mrct", True), ("test-tinytrans-mr", False)):
        meta = card_metadata(model_id, "tinytrans", modality="MR", task="translation")
        meta["zoo"]["inputs"] = [dict(meta["zoo"]["outputs"][0], name="mr")]
        front = yaml.safe_dump(meta, sort_keys=False)
        files[f"model_cards/{model_id}.md"] = f"---\n{front}---\n# {model_id}\n"
        files[f"configs/{model_id}.yaml"] = (
            f"model: {{declare_ct: {str(ct).lower()}}}\n"
            "data: {mode: slices, intensity: mr, hu_window: [-1000.0, 1000.0]}\n"
        )
    plugin_site.add_package("zoo-tinytrans", "tinytrans", "zoo_tinytrans", files)
    plugin_site.activate()


def _mr_volume(path):
    import nibabel as nib

    rng = np.random.default_rng(0)
    mr = rng.uniform(0.0, 900.0, size=(10, 9, 3)).astype(np.float32)  # T1-like units
    affine = np.diag([2.0, 2.0, 3.0, 1.0])
    affine[:3, 3] = [-9.0, 4.0, 20.0]
    nib.save(nib.Nifti1Image(mr, affine), path)
    return mr, affine


def test_zoo_generate_writes_a_translation_in_the_units_the_model_declares(
    translation_plugin, tmp_path
):
    import nibabel as nib

    mr, affine = _mr_volume(tmp_path / "mr.nii.gz")
    normalised = MRNormalize().fit(mr).forward(mr)
    out = tmp_path / "ct"
    # a 2D model, a volume: slice by slice, NIfTI by default, 2 slices per model call
    run = _zoo("generate", "test-tinytrans-mrct", "--condition", str(tmp_path / "mr.nii.gz"),
               "--out", str(out), "--untrained", "--batch-size", "2")  # fmt: skip
    assert run.code == 0, run.output
    image = nib.load(out / "mr_000.nii.gz")
    written = image.get_fdata()
    assert written.shape == (10, 9, 3) and np.allclose(image.affine, affine)
    hu = (normalised + 1.0) / 2.0 * 2000.0 - 1000.0  # CTWindow(-1000, 1000).inverse
    assert np.allclose(written, hu, atol=1e-2)
    assert written.min() >= -1000 and written.max() <= 1000 and written.min() < -900
    record = json.loads((out / "provenance.json").read_text())
    assert record["output_intensity"] == {
        "declared_by": "model", "kind": "ct", "low": -1000.0, "high": 1000.0,
    }  # fmt: skip
    # DICOM: a CT series in HU, whatever the card's (input) modality
    import pydicom
    from pydicom.pixels import apply_rescale

    run = _zoo("generate", "test-tinytrans-mrct", "--condition", str(tmp_path / "mr.nii.gz"),
               "--out", str(tmp_path / "dcm"), "--untrained", "--format", "dicom")  # fmt: skip
    assert run.code == 0, run.output
    files = sorted((tmp_path / "dcm" / "mr_000").glob("*.dcm"))
    ds = pydicom.dcmread(files[0])
    assert len(files) == 3 and ds.Modality == "CT"
    values = np.concatenate([apply_rescale(d.pixel_array, d).ravel()
                             for d in map(pydicom.dcmread, files)])  # fmt: skip
    assert values.min() >= -1000.5 and values.max() <= 1000.5
    assert np.allclose(np.sort(values), np.sort(hu.ravel()), atol=1.0)


def test_zoo_generate_keeps_the_condition_units_for_same_domain_models(
    translation_plugin, tmp_path
):
    import nibabel as nib

    mr, _ = _mr_volume(tmp_path / "mr.nii.gz")
    out = tmp_path / "mr"
    run = _zoo("generate", "test-tinytrans-mr", "--condition", str(tmp_path / "mr.nii.gz"),
               "--out", str(out), "--untrained")  # fmt: skip
    assert run.code == 0, run.output
    written = nib.load(out / "mr_000.nii.gz").get_fdata()
    low, high = np.percentile(mr, (0.5, 99.5))
    assert np.allclose(written, np.clip(mr, low, high), atol=1e-2)  # MR units, as before
    record = json.loads((out / "provenance.json").read_text())
    assert record["output_intensity"] == {"declared_by": "condition", "kind": "mr"}
    # PNG cannot hold the volume: one clear line
    run = _zoo("generate", "test-tinytrans-mr", "--condition", str(tmp_path / "mr.nii.gz"),
               "--out", str(out), "--untrained", "--format", "png")  # fmt: skip
    assert run.code == 1 and "PNG cannot hold it" in run.output


def test_a_margin_the_model_cannot_take_is_named():
    model = DeepBlockModel()
    model.size_multiple = 4
    with pytest.raises(ZooError, match=r"margin of 3 are \(14, 14, 14\); this model takes sides"):
        infer_volume(model, torch.rand(1, 20, 18, 13), 8, margin=3)


def test_progress_reports_reach_the_listener_of_the_block_only():
    from zoo_core.generation.progress import report, reporting

    heard = []
    report("before", 1, 2)  # no listener: nothing happens
    with reporting(lambda *event: heard.append(event)):
        report("work", 1, 2)
        report("work", 2, 2)
    report("after", 1, 1)
    assert heard == [("work", 1, 2), ("work", 2, 2)]


def test_model_generate_and_zoo_generate_give_the_same_images_for_a_seed(tiny_model):
    """One seed policy: sample i depends on (seed, i) alone, whichever door it comes through
    (the README says zoo generate and SyntheticDataset go through model.generate)."""
    direct = tiny_model.generate(n=5, seed=3)
    assert torch.equal(direct, zoo.generate(tiny_model, n=5, seed=3, batch_size=2))
    assert torch.equal(tiny_model.generate(n=2, seed=3), direct[:2])  # independent of n
    assert torch.equal(SyntheticDataset(tiny_model, length=5, seed=3)[4]["target"], direct[4])


def test_chunks_fit_the_budget_and_give_the_whole_batch_back():
    from zoo_core.generation.chunks import CHUNK_BYTES, in_chunks, items_per_chunk

    assert items_per_chunk(2 * CHUNK_BYTES) == 1  # never fewer than one
    assert items_per_chunk(CHUNK_BYTES // 8) == 8
    assert items_per_chunk(100, budget=1000) == 10
    sizes = []

    def run(part):
        sizes.append(len(part))
        return part * 2

    batch = torch.arange(7.0).reshape(7, 1)
    assert torch.equal(in_chunks(run, batch, 3), batch * 2)
    assert sizes == [3, 3, 1]
