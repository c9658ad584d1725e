"""`zoo cgan3d evaluate` prints the paper's table; `reconstruct` keeps the scan's geometry."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
from click.testing import CliRunner

from zoo_core.cli import cli


def _tiny_args(tiny):
    args = ["--untrained", "--mode", "blocks"]
    for o in tiny:
        args += ["--override", o]
    return args


def test_evaluate_prints_condition_and_generated_rows(small_ct, tiny):
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        cli,
        [
            "cgan3d",
            "evaluate",
            "mangalagiri-cgan3d-depixelate",
            "--data",
            str(small_ct.parent),
            "--region-hu",
            "5",
            "100",
            *_tiny_args(tiny),
        ],
    )
    assert result.exit_code == 0, result.output
    for text in ("PSNR all", "SSIM region", "depixelate condition", "cGAN generated", "crop.nii"):
        assert text in result.output


def test_zoo_evaluate_with_real_scans_alone_prints_the_papers_table(small_ct, tmp_path):
    out = tmp_path / "report"
    args = ["evaluate", "mangalagiri-cgan3d-headct", "--untrained", "--real", str(small_ct.parent)]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| crop")]
    assert [row.split("|")[2].strip() for row in rows] == [
        "denoise condition",
        "cGAN generated",
        # the whole-scan comparison with the methods a user would pick instead
        "condition",
        "cgan3d",
        *[row.split("|")[2].strip() for row in rows if "gaussian s=" in row],
        "median 3^3",
        "median 5^3",
    ]
    assert len([row for row in rows if "gaussian s=" in row]) == 1  # the best sigma only
    record = json.loads((out / "metrics.json").read_text())
    scan = record["scans"]["crop.nii.gz"]
    for row in ("condition", "generated"):
        for part in ("all", "region"):
            assert 0 < scan[row][part]["ssim"] <= 1 and scan[row][part]["psnr"] > 0
    assert scan["condition"]["all"]["ssim"] < 1  # the Poisson noise is there
    assert (out / "metrics.md").read_text().count("| crop.nii.gz |") == 7
    comparison = record["comparison"]["crop.nii.gz"]
    assert comparison["condition"]["psnr"] < comparison["median 5^3"]["psnr"]


def test_reconstruct_writes_a_synthetic_scan_with_the_input_geometry(small_ct, tmp_path, tiny):
    out = tmp_path / "out"
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        cli,
        [
            "cgan3d",
            "reconstruct",
            "mangalagiri-cgan3d-denoise",
            "--condition",
            str(small_ct),
            "--out",
            str(out),
            *_tiny_args(tiny),
        ],
    )
    assert result.exit_code == 0, result.output
    written = nib.load(str(out / "crop_synthetic.nii.gz"))
    source = nib.load(str(small_ct))
    assert written.shape == source.shape
    np.testing.assert_allclose(written.affine, source.affine)
    assert written.header["descrip"].tobytes().startswith(b"SYNTHETIC")
    assert json.loads((out / "crop_synthetic.json").read_text())["synthetic"] is True


def test_evaluate_names_a_missing_folder(tiny):
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        cli,
        [
            "cgan3d",
            "evaluate",
            "mangalagiri-cgan3d-denoise",
            "--data",
            "/nonexistent/x",
            *_tiny_args(tiny),
        ],
    )
    assert result.exit_code != 0 and "/nonexistent/x" in result.output


def test_weights_load_a_training_checkpoint_of_the_same_model_only(tmp_path, tiny):
    import pytest
    import torch
    from zoo_cgan3d.cli import load_model

    import zoo_core as zoo
    from zoo_core import checkpoint
    from zoo_core import config as zoo_config
    from zoo_core.errors import ZooError

    model_id = "mangalagiri-cgan3d-denoise"
    trained = zoo.load(model_id, pretrained=False, overrides=tiny)
    with torch.no_grad():
        next(trained.parameters()).add_(1.0)  # weights no fresh build has
    state = {k: v.contiguous() for k, v in trained.state_dict().items()}
    path = checkpoint.write(
        tmp_path / "ckpt.safetensors",
        {"model": state},
        model_id=model_id,
        config_yaml=zoo_config.to_yaml(trained.config),
    )
    # No --override needed: the checkpoint carries the tiny config it was trained with.
    loaded = load_model(model_id, str(path), untrained=False, device="cpu")
    assert loaded.model_id == model_id and not loaded.training
    for name, tensor in loaded.state_dict().items():
        assert torch.equal(tensor, state[name]), name
    with pytest.raises(ZooError, match=f"is a checkpoint of '{model_id}', not"):
        load_model("mangalagiri-cgan3d-depixelate", str(path), untrained=False, device="cpu")


def test_prepare_headct_writes_the_shipped_scan_as_a_scans_folder(tmp_path):
    result = CliRunner().invoke(cli, ["cgan3d", "prepare-headct", str(tmp_path / "scans")])
    assert result.exit_code == 0, result.output
    scan = nib.load(str(tmp_path / "scans" / "head_ct.nii.gz"))
    assert scan.shape == (202, 202, 179)
    assert scan.get_data_dtype() == np.int16


def test_prepare_headct_with_mri_splits_both_sources_and_keeps_a_third_apart(tmp_path):
    out = tmp_path / "scans"
    args = ["cgan3d", "prepare-headct", str(out), "--split-z", "110", "--with-mri"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.nii.gz"))
    assert files == [
        "head_ct.nii.gz",
        "other-heads/nibabel_t1_x100.nii.gz",
        "test-mri/mni152_t1_superior_x100.nii.gz",
        "test/head_ct_superior.nii.gz",
        "train/head_ct_inferior.nii.gz",
        "train/mni152_t1_inferior_x100.nii.gz",
    ]
    train = nib.load(str(out / "train" / "mni152_t1_inferior_x100.nii.gz"))
    test = nib.load(str(out / "test-mri" / "mni152_t1_superior_x100.nii.gz"))
    assert train.shape[:2] == test.shape[:2] and train.shape[2] + test.shape[2] <= 189
    # the held-out slab starts where the training slab ends: world z of their first slices
    top = train.affine @ [0, 0, train.shape[2], 1]
    np.testing.assert_allclose(top, test.affine @ [0, 0, 0, 1])
    assert abs(float(np.asarray(train.dataobj).max()) - 100.0) < 1e-3
    refused = CliRunner().invoke(cli, ["cgan3d", "prepare-headct", str(out), "--with-mri"])
    assert refused.exit_code == 2 and "pass --split-z as well" in refused.output


def test_zoo_generate_denoises_a_whole_scan_keeping_its_geometry(small_ct, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, [
        "generate", "mangalagiri-cgan3d-headct", "--untrained", "--condition", str(small_ct),
        "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    (written,) = out.glob("*.nii.gz")
    image, source = nib.load(str(written)), nib.load(str(small_ct))
    assert image.shape == source.shape  # 48x40x36: not a multiple of the 32^3 block
    np.testing.assert_allclose(image.affine, source.affine)
    assert b"SYNTHETIC" in bytes(image.header["descrip"])
    hu = image.get_fdata()
    assert hu.max() - hu.min() > 2  # written back in HU, not in the model's [-1, 1]
    record = json.loads((out / "provenance.json").read_text())
    assert record["volume_inference"] == {"overlap": 0.5, "tiling": "sliding", "margin": 0}


def test_zoo_generate_takes_a_dicom_series_and_writes_one_back(small_ct, tmp_path):
    import pydicom

    from zoo_core.io import write_dicom

    source = nib.load(str(small_ct))
    hu = np.asarray(source.dataobj, dtype=np.float32)
    write_dicom(hu[None], tmp_path / "scan", affine=source.affine, modality="CT")
    result = CliRunner().invoke(cli, [
        "generate", "mangalagiri-cgan3d-headct", "--untrained", "--condition",
        str(tmp_path / "scan"), "--format", "dicom", "--out", str(tmp_path / "out")])  # fmt: skip
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "out" / "scan_000").glob("*.dcm"))
    assert len(files) == hu.shape[2]  # one slice per axial slice of the series read
    first, given = (
        pydicom.dcmread(files[0]),
        pydicom.dcmread(sorted((tmp_path / "scan").glob("*.dcm"))[0]),
    )
    assert (first.Rows, first.Columns) == (given.Rows, given.Columns)
    np.testing.assert_allclose(first.ImagePositionPatient, given.ImagePositionPatient, atol=1e-3)
    np.testing.assert_allclose(first.PixelSpacing, given.PixelSpacing)
    assert first.Modality == "CT" and "DERIVED" in first.ImageType
