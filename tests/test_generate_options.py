"""Architecture options of `zoo generate` (ArchSpec.generate_options), label-map conditions,
conditions varied per sample and montage panels, with a tiny plugin that declares them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import zoo_core as zoo
from zoo_core.cli import cli
from zoo_core.errors import ZooError

MODEL_ID = "test-tinyopt-labels"

_INIT = """
from dataclasses import dataclass

from zoo_core import ArchSpec, ModelSpec, hookimpl


@dataclass
class OptConfig:
    levels: int = 4


@hookimpl
def register_architectures(register):
    register(ArchSpec(name="tinyopt", builder="zoo_tinyopt.model:build", config=OptConfig,
                      generate_options="zoo_tinyopt.options:generate_options"))
    register(ArchSpec(name="tinyclash", builder="zoo_tinyopt.model:build", config=OptConfig,
                      generate_options="zoo_tinyopt.options:clashing_options"))


@hookimpl
def register_models(register):
    for model_id, arch in (("test-tinyopt-labels", "tinyopt"), ("test-tinyclash-labels",
                                                                "tinyclash")):
        register(ModelSpec(id=model_id, architecture=arch,
                           config="zoo_tinyopt:configs/" + model_id + ".yaml",
                           card="zoo_tinyopt:model_cards/" + model_id + ".md"))
"""

# click only: imported by `zoo generate` for this architecture, never by `zoo list`.
_OPTIONS = """
import click


def generate_options():
    return [
        click.Option(["--gain"], type=float, default=1.0, show_default=True,
                     help="Multiply the output."),
        click.Option(["--roll"], is_flag=True, help="Roll the map by a random amount."),
    ]


def clashing_options():
    return [click.Option(["--seed"], type=int)]
"""

_MODEL = """
import torch
from torch import nn

from zoo_core.interfaces.model import GANModel


class LabelEcho(GANModel):
    # Class k of 0..levels-1 comes out as the gray level -1 + 2k/(levels-1), times gain.
    conditional = True
    condition_kind = "labels"

    def __init__(self, cfg):
        super().__init__()
        self.levels = cfg.levels
        self.generator, self.discriminator = nn.Identity(), nn.Identity()
        self.register_buffer("level_count", torch.tensor(float(cfg.levels)))

    def vary_condition(self, condition, generator, *, gain=1.0, roll=False):
        if not roll:
            return condition
        shift = int(torch.randint(1, condition.shape[-1], (1,), generator=generator,
                                  device=condition.device))
        return condition.roll(shift, dims=-1)

    def sample(self, n, condition, generator, *, gain=1.0, roll=False):
        return (condition.float() * 2 / (self.levels - 1) - 1) * gain


def build(cfg):
    return LabelEcho(cfg)
"""


@pytest.fixture
def opt_plugin(plugin_site):
    import yaml
    from helpers.cards import card_metadata

    files = {"__init__.py": _INIT, "options.py": _OPTIONS, "model.py": _MODEL}
    for model_id, arch in ((MODEL_ID, "tinyopt"), ("test-tinyclash-labels", "tinyclash")):
        meta = card_metadata(model_id, arch, modality="MR", task="segmentation-to-image")
        files[f"model_cards/{model_id}.md"] = (
            f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n# {model_id}\n"
        )
        # minmax would stretch the map to [-1, 1]: label maps must skip it
        files[f"configs/{model_id}.yaml"] = (
            "data: {mode: images, intensity: minmax, spatial_size: [32, 32]}\n"
        )
    plugin_site.add_package("zoo-tinyopt", "tinyopt", "zoo_tinyopt", files)
    plugin_site.activate()
    return MODEL_ID


@pytest.fixture
def label_png(tmp_path):
    """A 12 x 12 map of classes 0..3 in vertical bands of 3 columns."""
    labels = np.repeat(np.arange(4, dtype=np.uint8), 3)[None, :].repeat(12, 0)
    path = tmp_path / "map.png"
    Image.fromarray(labels, mode="L").save(path)
    return path


def _zoo(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _png(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image).astype(np.int64)


def test_options_reach_sample_and_label_maps_are_read_raw(opt_plugin, label_png, tmp_path):
    out = tmp_path / "out"
    # the architecture's option may come before MODEL_ID: it is known from the registry
    result = _zoo("generate", "--gain", "0.5", opt_plugin, "--condition", label_png,
                  "--out", out, "--untrained")  # fmt: skip
    assert result.exit_code == 0, result.output
    pixels = _png(out / "map_000.png")
    assert pixels.shape == (32, 32)  # nearest-resized to data.spatial_size
    # classes k -> (-1 + 2k/3) * 0.5, drawn from [-1, 1] to 0..255: no minmax on the labels
    expected = np.round(((np.array([0, 1, 2, 3]) * 2 / 3 - 1) * 0.5 + 1) / 2 * 255)
    assert set(np.unique(pixels)) == set(expected.astype(int))
    np.testing.assert_array_equal(pixels[0], np.sort(pixels[0]))  # bands kept in order
    record = json.loads((out / "provenance.json").read_text())
    assert record["options"] == {"gain": 0.5, "roll": False}


def test_unknown_options_name_the_model_and_list_its_own(opt_plugin, label_png, tmp_path):
    result = _zoo("generate", opt_plugin, "--condition", label_png, "--out", tmp_path,
                  "--untrained", "--gian", "2")  # fmt: skip
    assert result.exit_code == 1
    assert "test-tinyopt-labels (architecture tinyopt) takes no option '--gian'" in result.output
    assert "--gain, --roll" in result.output
    # a bad value is a usage error of the option, not a traceback
    result = _zoo("generate", opt_plugin, "--condition", label_png, "--out", tmp_path,
                  "--untrained", "--gain", "loud")  # fmt: skip
    assert result.exit_code == 2 and "'loud' is not a valid float" in result.output
    # Python: an option sample() does not take is one line too
    model = zoo.load(opt_plugin, pretrained=False)
    with pytest.raises(ZooError, match=r"takes no option\(s\) \['gian'\]; it takes \['gain'"):
        model.generate(condition=torch.zeros(1, 1, 32, 32), gian=2)


def test_help_lists_the_architecture_options_and_clashes_are_refused(opt_plugin, tmp_path):
    result = _zoo("generate", opt_plugin, "--help")
    assert result.exit_code == 0
    assert "Options of the tinyopt architecture:" in result.output
    assert "--gain FLOAT" in result.output and "Roll the map" in result.output
    result = _zoo("generate", "--help")
    assert result.exit_code == 0 and "tinyopt" not in result.output
    result = _zoo("generate", "test-tinyclash-labels", "--out", tmp_path, "--untrained")
    assert result.exit_code == 1
    assert "['--seed', 'seed'] is already an option of `zoo generate`" in result.output


def test_varied_conditions_are_what_the_montage_shows(opt_plugin, label_png, tmp_path):
    out = tmp_path / "rolled"
    result = _zoo("generate", opt_plugin, "--condition", label_png, "--out", out, "-n", "3",
                  "--untrained", "--roll", "--montage", "--seed", "4")  # fmt: skip
    assert result.exit_code == 0, result.output
    samples = [_png(out / f"map_{j:03d}.png") for j in range(3)]
    assert not np.array_equal(samples[0], samples[1]) or not np.array_equal(
        samples[1], samples[2]
    )  # each sample rolled its own way
    montage = _png(out / "montage.png")
    # 3 rows of (condition | result) tiles of 32 px with 2 px padding
    assert montage.shape[:2] == (2 + 3 * 34, 2 + 2 * 34)
    for j in range(3):
        rows = slice(2 + 34 * j + 16, 2 + 34 * j + 32)  # below the tiles' labels
        condition, shown = montage[rows, 2:34, 0], montage[rows, 36:68, 0]
        # labels 0..3 stretched to [-1, 1] equal the output at gain 1: the condition panel
        # is the rolled map this sample was drawn from, not the map as read
        np.testing.assert_array_equal(condition, shown)
        np.testing.assert_array_equal(shown, samples[j][16:])


def test_options_of_a_model_folder_are_parsed_after_loading(opt_plugin, label_png, tmp_path):
    from zoo_core.api import model_spec
    from zoo_core.weights import save_state_dict

    folder = tmp_path / "model"
    folder.mkdir()
    # no metadata names the id: only loading (the README card) tells the architecture
    save_state_dict({"level_count": torch.tensor(4.0)}, folder / "model.safetensors", {})
    (folder / "config.yaml").write_text("model: {levels: 4}\ndata: {spatial_size: [32, 32]}\n")
    shutil.copy(model_spec(opt_plugin).card_path(), folder / "README.md")
    out = tmp_path / "out"
    result = _zoo("generate", folder, "--condition", label_png, "--out", out, "--gain", "-1")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "provenance.json").read_text())["options"]["gain"] == -1.0
    result = _zoo("generate", folder, "--condition", label_png, "--out", out, "--bogus")
    assert result.exit_code == 1 and "takes no option '--bogus'" in result.output


_WRAPPER = """
import json, sys
from zoo_core.cli import cli
try:
    cli.main(sys.argv[1:], prog_name="zoo")
except SystemExit as exc:
    code = exc.code
loaded = [m for m in ("torch", "zoo_tinyopt.options", "zoo_tinyopt.model") if m in sys.modules]
sys.stderr.write("\\nLOADED=" + json.dumps(loaded) + "\\n")
sys.exit(code)
"""


def test_zoo_list_imports_neither_torch_nor_the_options(opt_plugin):
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, "list", "--json"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert MODEL_ID in {row["id"] for row in json.loads(proc.stdout)}
    assert json.loads(proc.stderr.rsplit("LOADED=", 1)[1]) == []


def test_a_label_volume_goes_slice_by_slice_with_a_montage_row(opt_plugin, tmp_path):
    import nibabel as nib

    labels = np.tile(np.arange(4, dtype=np.int16).repeat(3)[:, None, None], (1, 12, 3))
    nib.save(nib.Nifti1Image(labels, np.eye(4)), tmp_path / "map.nii.gz")
    out = tmp_path / "out"
    result = _zoo("generate", opt_plugin, "--condition", tmp_path / "map.nii.gz", "--out", out,
                  "--untrained", "--montage", "--roll")  # fmt: skip
    assert result.exit_code == 0, result.output
    written = nib.load(out / "map_000.nii.gz").get_fdata()  # NIfTI for a NIfTI condition
    assert written.shape == (12, 12, 3)  # a volume is not resized to the 2D spatial_size
    # the classes' levels as they are: no intensity scaling either way for label maps
    np.testing.assert_allclose(np.unique(written), [-1, -1 / 3, 1 / 3, 1], atol=1e-6)
    montage = _png(out / "montage.png")
    assert montage.shape[:2] == (2 + 14, 2 + 2 * 14)  # condition | result, middle slice
