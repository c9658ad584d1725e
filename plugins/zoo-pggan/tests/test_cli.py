"""`zoo pggan ...` commands end to end on a tiny model saved as a weights folder."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner
from PIL import Image
from zoo_pggan.loading import open_model, save_folder

from zoo_core.cli import cli


def _folder(tiny_model, tmp_path):
    model = tiny_model()  # beers-pggan-mni152 at 16x16: T1 + GM + WM
    return save_folder(model, tmp_path / "model")


def test_interpolate_writes_a_marked_strip(tiny_model, tmp_path):
    folder = _folder(tiny_model, tmp_path)
    out = tmp_path / "strip.png"
    result = CliRunner().invoke(
        cli, ["pggan", "interpolate", str(folder), "--seeds", "1", "2", "--steps", "4",
              "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with Image.open(out) as img:
        # One column per step (4 x 16 px), one row per channel: T1, GM, WM (3 x 16 px).
        assert img.size == (64, 48)
        assert img.text["Synthetic"] == "true"
    pixels = np.asarray(Image.open(out))
    assert not np.array_equal(pixels[:16, :16], pixels[:16, 48:64])  # the ends differ


def test_generate_writes_image_and_segmentation_apart(tiny_model, tmp_path):
    folder = _folder(tiny_model, tmp_path)
    result = CliRunner().invoke(
        cli, ["pggan", "generate", str(folder), "-n", "2", "--out", str(tmp_path / "gen")]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "gen").iterdir())
    assert names == [
        "montage.png",
        "provenance.json",
        "sample_000_image.png",
        "sample_000_segmentation_grey-matter.png",
        "sample_000_segmentation_white-matter.png",
        "sample_001_image.png",
        "sample_001_segmentation_grey-matter.png",
        "sample_001_segmentation_white-matter.png",
    ]
    with Image.open(tmp_path / "gen" / "sample_000_segmentation_white-matter.png") as seg:
        assert seg.size == (16, 16) and seg.text["Synthetic"] == "true"


def test_encode_plots_real_slices_coloured_by_label(tiny_model, tmp_path, mni_dir):
    folder = _folder(tiny_model, tmp_path)
    out, latents = tmp_path / "tsne.png", tmp_path / "latents.csv"
    result = CliRunner().invoke(
        cli, ["pggan", "encode", str(folder), "--images", str(mni_dir), "--labels",
              str(mni_dir / "labels.csv"), "--out", str(out), "--latents", str(latents)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000
    rows = latents.read_text().splitlines()
    assert rows[0].split(",")[:3] == ["name", "label", "z0"] and len(rows[0].split(",")) == 130
    assert {r.split(",")[1] for r in rows[1:]} == {"inferior", "middle", "superior"}


def test_train_encoder_command_saves_a_loadable_folder(tiny_model, tmp_path):
    folder = _folder(tiny_model, tmp_path)
    result = CliRunner().invoke(
        cli, ["pggan", "train-encoder", str(folder), "--steps", "3", "--batch-size", "4",
              "--out", str(tmp_path / "enc")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    reopened = open_model(str(tmp_path / "enc"))
    assert reopened.model_id == "beers-pggan-mni152"
    assert reopened.encode(reopened.generate(n=2, seed=0)).shape == (2, 128)


def test_pggan_commands_refuse_a_model_of_another_architecture(monkeypatch):
    import pytest

    from zoo_core import api, cards
    from zoo_core.errors import ZooError
    from zoo_core.interfaces.model import GANModel

    other = GANModel()
    other.card = cards.ModelCard({"zoo": {"architecture": "dcgan"}}, "", "README.md")
    monkeypatch.setattr(api, "load", lambda ref, device="cpu": other)
    with pytest.raises(ZooError, match="lab/dcgan is a dcgan model, not a pggan one"):
        open_model("lab/dcgan")
