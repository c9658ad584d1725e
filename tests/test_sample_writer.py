"""zoo_core.generation's sample writing: SampleWriter and generate_to_files.

The writer is what every command that leaves synthetic images on disk goes through, so the
promises are checked here once: the record is on disk before any sample, each format marks
its files synthetic, channel groups split a sample, PNG refuses volumes; and
generate_to_files leaves the files zoo.generate's images would give.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import nibabel as nib
import numpy as np
import pydicom
import pytest
import torch
from PIL import Image

import zoo_core as zoo
from zoo_core.cli.scaffold import render_plugin
from zoo_core.errors import ZooError
from zoo_core.generation import SampleWriter, generate_to_files, output_groups
from zoo_core.io import is_synthetic

OUTPUTS = [
    {"name": "image", "channels": ["T1"], "value_range": [-1, 1]},
    {"name": "segmentation", "channels": ["grey-matter", "white-matter"]},
]


class FakeModel:
    """What the writer reads of a model: id, card, value range, weights, output units."""

    model_id = "fake-model"
    value_range = (-1.0, 1.0)

    def __init__(self, outputs: list[dict[str, Any]] | None = None) -> None:
        self.weights_info: dict[str, Any] = {}
        self.card = SimpleNamespace(zoo={"outputs": outputs or [], "modality": "MR"})

    def output_intensity(self) -> None:
        return None


@pytest.mark.parametrize(
    ("fmt", "shape"), [("png", (1, 8, 8)), ("nifti", (1, 4, 4, 4)), ("dicom", (1, 4, 4, 4))]
)
def test_the_record_comes_first_and_every_format_is_marked_synthetic(tmp_path, fmt, shape):
    writer = SampleWriter(FakeModel(), tmp_path, fmt, seed=7, extra={"command": "test"})
    record = json.loads(writer.provenance.read_text())
    assert record["synthetic"] is True and record["seed"] == 7 and record["command"] == "test"
    files = writer.write(np.zeros(shape, dtype=np.float32), "sample_000")
    assert files and writer.files == files
    for path in files:
        if fmt == "png":
            with Image.open(path) as png:
                assert png.text["Synthetic"] == "true"
        elif fmt == "nifti":
            assert nib.load(path).header["descrip"].item().startswith(b"SYNTHETIC")
        else:
            assert is_synthetic(pydicom.dcmread(path))


def test_output_groups_split_a_sample_into_files_of_their_own(tmp_path):
    model = FakeModel(OUTPUTS)
    groups = output_groups(model)
    assert [(g.name, g.index) for g in groups] == [("image", [0]), ("segmentation", [1, 2])]
    writer = SampleWriter(model, tmp_path, "png", groups=groups)
    files = writer.write_all(torch.zeros(2, 3, 8, 8), ["sample_000", "sample_001"])
    assert [p.name for p in files[:3]] == [
        "sample_000_image.png",
        "sample_000_segmentation_grey-matter.png",
        "sample_000_segmentation_white-matter.png",
    ]
    assert len(files) == 6


def test_png_refuses_a_volume_naming_the_model_as_the_user_wrote_it(tmp_path):
    writer = SampleWriter(FakeModel(), tmp_path, "png", name="runs/x.safetensors")
    with pytest.raises(ZooError, match=r"runs/x.safetensors made a volume .*PNG cannot hold"):
        writer.write(np.zeros((1, 4, 4, 4)), "sample_000")


def test_generate_to_files_writes_what_zoo_generate_draws(plugin_site, tmp_path):
    plugin_site.add_rendered(render_plugin("tinygan", "test", tmp_path))
    plugin_site.activate()
    model = zoo.load("test-tinygan-example", pretrained=False, overrides=["model.base_filters=8"])
    steps: list[tuple[int, int]] = []
    result = generate_to_files(
        model,
        tmp_path / "out",
        n=3,
        fmt="nifti",
        seed=2,
        batch_size=2,
        montage=True,
        progress=lambda done, total: steps.append((done, total)),
    )
    assert result.count == 3 and steps == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert [p.name for p in result.files] == [f"sample_{i:05d}.nii.gz" for i in range(3)]
    assert result.montage is not None and result.montage.is_file()
    expected = zoo.generate(model, n=3, seed=2)
    for path, sample in zip(result.files, expected, strict=True):
        np.testing.assert_allclose(np.asarray(nib.load(path).dataobj), sample[0].numpy())
    with pytest.raises(ZooError, match="pass -n N"):
        generate_to_files(model, tmp_path / "none")
