"""`zoo generate krishna-stylecgan-ct --condition seg.png --style style.png --perturb` (issue 6)
through the core command and the architecture's options, at a tiny config: PNG and DICOM in
HU, montage rows map | style | result, synthetic markers, the random VGG-19 only on request."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from omegaconf import OmegaConf
from PIL import Image

import zoo_core as zoo
from zoo_core.cli import cli
from zoo_core.io import SYNTHETIC_NOTE, is_synthetic

MODEL_ID = "krishna-stylecgan-ct"
GRAYS = {0, 50, 100, 150, 200, 230}


@pytest.fixture
def tiny_model_dir(tiny, tmp_path_factory):
    """The paper's model id at 32x32 as a model folder; the config does NOT allow a random
    VGG-19, so only --allow-random-vgg does."""
    from zoo_core.weights import save_state_dict

    overrides = [o for o in tiny if not o.startswith("train.vgg_allow_random")]
    model = zoo.load(MODEL_ID, pretrained=False, overrides=overrides)
    assert model.config.train.vgg_allow_random is False
    folder = tmp_path_factory.mktemp("tiny-model")
    save_state_dict(model.state_dict(), folder / "model.safetensors", {"model_id": MODEL_ID})
    (folder / "config.yaml").write_text(OmegaConf.to_yaml(model.config))
    return folder


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """pydicom's real CT_small (HU): its window as style.png, its body regions as seg.png."""
    from pydicom.data import get_testdata_file
    from zoo_stylecgan.regions import region_map, to_gray

    from zoo_core.data import CTWindow, read_image

    hu, _ = read_image(get_testdata_file("CT_small.dcm"))
    where = tmp_path_factory.mktemp("inputs")
    unit = (CTWindow(-1000.0, 1000.0).forward(hu[0]) + 1) / 2
    Image.fromarray(np.round(unit * 255).astype(np.uint8), mode="L").save(where / "style.png")
    gray = to_gray(region_map(hu, "body")[0], sorted(GRAYS)).astype(np.uint8)
    Image.fromarray(gray, mode="L").save(where / "seg.png")
    return where / "seg.png", where / "style.png"


def _zoo(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _run(folder, inputs, out, *extra, n=2):
    seg, style = inputs
    return _zoo("generate", folder, "--condition", seg, "--style", style, "--perturb",
                "--perturb-magnitude", "3", "-n", n, "--adapt-steps", "1", "--out", out,
                *extra)  # fmt: skip


def test_help_and_unknown_options_name_the_architecture():
    result = _zoo("generate", MODEL_ID, "--help")
    assert result.exit_code == 0
    assert "Options of the stylecgan architecture:" in result.output
    assert "--style PATH" in result.output and "--allow-random-vgg" in result.output
    result = _zoo("generate", MODEL_ID, "--styel", "x.png", "--out", "/tmp/none")
    assert result.exit_code == 1
    assert "takes no option '--styel'; its own options: --style, --style-map" in result.output


def test_png_and_dicom_in_hu_with_a_montage_of_map_style_and_result(
    tiny_model_dir, inputs, tmp_path, quiet_random_vgg, monkeypatch
):
    import pydicom

    monkeypatch.delenv("ZOO_VGG19_WEIGHTS", raising=False)
    # the random VGG-19 is refused unless asked for
    result = _run(tiny_model_dir, inputs, tmp_path / "refused")
    assert result.exit_code == 1 and "need VGG-19 ImageNet weights" in result.output

    out = tmp_path / "png"
    result = _run(tiny_model_dir, inputs, out, "--allow-random-vgg", "--montage")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "montage.png", "provenance.json", "seg_000.png", "seg_001.png",
    ]  # fmt: skip
    pngs = []
    for name in ("seg_000.png", "seg_001.png", "montage.png"):
        with Image.open(out / name) as image:
            assert SYNTHETIC_NOTE in json.dumps(image.text)
            pngs.append(np.asarray(image).astype(np.int64))
    assert pngs[0].shape == (32, 32) and not np.array_equal(pngs[0], pngs[1])
    record = json.loads((out / "provenance.json").read_text())
    assert record["synthetic"] and record["conditions"][0]["file"] == "seg.png"
    options = record["options"]
    assert options["style"]["file"] == "style.png" and len(options["style"]["sha256"]) == 64
    assert options["perturb"] and options["adapt_steps"] == 1 and options["allow_random_vgg"]

    # 2 rows (samples) of 3 tiles (map | style | result) of 32 px, 2 px apart
    montage = pngs[2]
    assert montage.shape[:2] == (2 + 2 * 34, 2 + 3 * 34)
    low = slice(16, 32)  # below the tiles' labels

    def tile(row, col):
        return montage[2 + 34 * row : 2 + 34 * row + 32, 2 + 34 * col : 2 + 34 * col + 32, 0]

    maps = [tile(r, 0)[low] for r in range(2)]
    assert all(set(np.unique(m)) <= GRAYS for m in maps)  # drawn in the paper's gray values
    assert not np.array_equal(maps[0], maps[1])  # each sample's own perturbed map
    np.testing.assert_array_equal(tile(0, 1)[low], tile(1, 1)[low])  # one style slice
    assert tile(0, 1)[low].std() > 0  # the CT, not a blank
    for row in range(2):
        np.testing.assert_array_equal(tile(row, 2)[low], pngs[row][low])  # the written result

    # DICOM: the same first sample (same seed, same adaptation) in HU, a CT marked synthetic
    result = _run(tiny_model_dir, inputs, tmp_path / "dcm", "--allow-random-vgg", "--format",
                  "dicom", n=1)  # fmt: skip
    assert result.exit_code == 0, result.output
    ds = pydicom.dcmread(tmp_path / "dcm" / "seg_000.dcm")
    assert ds.Modality == "CT" and is_synthetic(ds) and "DERIVED" in ds.ImageType
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    assert hu.min() >= -1000.5 and hu.max() <= 1000.5
    from_png = pngs[0] / 255 * 2000 - 1000  # the PNG is the HU window drawn 0..255
    # zoo_core's writers take (C, X, Y); DICOM stores X along the columns, hence the transpose
    np.testing.assert_allclose(hu.T, from_png, atol=2000 / 255 / 2 + 0.5)
    dicom_record = json.loads((tmp_path / "dcm" / "provenance.json").read_text())
    assert dicom_record["output_intensity"] == {
        "declared_by": "model", "kind": "ct", "low": -1000.0, "high": 1000.0,
    }  # fmt: skip
