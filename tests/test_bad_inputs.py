"""A corpus of bad inputs against the CLI: each ends in one line naming what is wrong and
what to do (exit status 1 or click's 2), never in a traceback from a dependency, and leaves
the files it was given, the hub and the Hugging Face cache byte-for-byte as they were."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from helpers.example import TINY, make_checkpoint, render_example

from zoo_core.cli import cli

SR = "sanchez-srgan3d-mni152"  # ships weights: generating needs no training
CT = "mangalagiri-cgan3d-headct"


@pytest.fixture
def example(plugin_site):
    model_id = render_example(plugin_site, "badgan")
    from importlib.metadata import entry_points

    installed = [ep.name for ep in entry_points(group="zoo")]  # commands load once per process
    plugin_site.activate(only=[*plugin_site.names, *installed])
    return model_id


def nifti(path: Path, array: np.ndarray) -> Path:
    import nibabel as nib

    nib.save(nib.Nifti1Image(array, np.eye(4)), str(path))
    return path


def checkpoint(tmp: Path, model_id: str, damage: Callable[[bytes], bytes]) -> Path:
    path, _ = make_checkpoint(model_id, tmp, seed=1)
    bad = tmp / "bad.safetensors"
    bad.write_bytes(damage(path.read_bytes()))
    return bad


def dicom_without_pixels(tmp: Path) -> Path:
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    folder = tmp / "series"
    folder.mkdir()
    ds = FileDataset(str(folder / "1.dcm"), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.Modality, ds.SOPInstanceUID, ds.InstanceNumber = "CT", generate_uid(), 1
    ds.save_as(str(folder / "1.dcm"), enforce_file_format=True)
    return folder


def out(tmp: Path) -> str:
    return str(tmp / "out")


# (name, argv builder taking (tmp_path, example id), words the message must contain)
CASES: list[tuple[str, Callable[[Path, str], list[str]], list[str]]] = [
    ("unknown id", lambda t, e: ["info", "radford-dcgan-mni15"], ["radford-dcgan-mni152"]),
    (
        "unknown id to generate",
        lambda t, e: ["generate", "nosuch-model", "--out", out(t)],
        ["nosuch-model"],
    ),
    (
        "missing weights file",
        lambda t, e: ["generate", str(t / "gone.safetensors"), "--out", out(t)],
        ["gone.safetensors", "does not exist"],
    ),
    (
        "empty weights",
        lambda t, e: ["generate", str(checkpoint(t, e, lambda b: b"")), "--out", out(t)],
        ["bad.safetensors", "empty"],
    ),
    (
        "truncated weights",
        lambda t, e: ["generate", str(checkpoint(t, e, lambda b: b[:200])), "--out", out(t)],
        ["bad.safetensors"],
    ),
    (
        "garbage weights",
        lambda t, e: ["generate", str(checkpoint(t, e, lambda b: b"x" * 5000)), "--out", out(t)],
        ["bad.safetensors"],
    ),
    (
        "pickle weights",
        lambda t, e: ["generate", str(t / "model.pt"), "--out", out(t)],
        ["model.pt"],
    ),
    ("-n 0", lambda t, e: ["generate", e, "-n", "0", "--untrained", "--out", out(t)], ["-n"]),
    (
        "unknown format",
        lambda t, e: ["generate", e, "--format", "tiff", "--untrained", "--out", out(t)],
        ["tiff"],
    ),
    (
        "condition to an unconditional model",
        lambda t, e: [
            "generate",
            e,
            "--condition",
            str(nifti(t / "c.nii.gz", np.zeros((8, 8, 8), "f4"))),
            "--untrained",
            "--out",
            out(t),
        ],
        ["unconditional"],
    ),
    (
        "missing condition file",
        lambda t, e: ["generate", SR, "--condition", str(t / "no.nii.gz"), "--out", out(t)],
        ["no.nii.gz"],
    ),
    (
        "corrupt NIfTI condition",
        lambda t, e: [
            "generate",
            SR,
            "--condition",
            str(write(t / "c.nii.gz", b"not a nifti")),
            "--out",
            out(t),
        ],
        ["c.nii.gz"],
    ),
    (
        "NaN volume condition",
        lambda t, e: [
            "generate",
            SR,
            "--condition",
            str(nifti(t / "nan.nii.gz", np.full((16, 16, 16), np.nan, "f4"))),
            "--out",
            out(t),
        ],
        ["nan.nii.gz"],
    ),
    (
        "2D condition to a 3D model",
        lambda t, e: [
            "generate",
            SR,
            "--condition",
            str(nifti(t / "flat.nii.gz", np.zeros((16, 16), "f4"))),
            "--out",
            out(t),
        ],
        ["flat.nii.gz"],
    ),
    (
        "DICOM without pixels",
        lambda t, e: ["generate", SR, "--condition", str(dicom_without_pixels(t)), "--out", out(t)],
        ["1.dcm"],
    ),
    (
        "conditional model without condition",
        lambda t, e: ["generate", SR, "--out", out(t)],
        ["--condition"],
    ),
    (
        "unknown override key",
        lambda t, e: ["train", e, "--data", str(t), "train.nosuch=1"],
        ["train.nosuch"],
    ),
    (
        "override of the wrong type",
        lambda t, e: ["train", e, "--data", str(t), "train.steps=many"],
        ["train.steps"],
    ),
    (
        "negative learning rate",
        lambda t, e: [
            "train",
            e,
            "--data",
            str(folder_with(t, {"a.png": png_bytes()}, "pngs")),
            "train.optimizer_g.lr=-1",
            *TINY,
        ],
        ["train.optimizer_g.lr"],
    ),
    (
        "training data folder missing",
        lambda t, e: ["train", e, "--data", str(t / "nothing")],
        ["nothing"],
    ),
    (
        "training data folder empty",
        lambda t, e: ["train", e, "--data", str(empty(t)), *TINY],
        ["empty"],
    ),
    (
        "corrupt PNG in the training data",
        lambda t, e: [
            "train",
            e,
            "--data",
            str(folder_with(t, {"a.png": png_bytes(), "b.png": b"\x89PNG..."}, "pngs")),
            *TINY,
            "train.steps=4",
            "train.batch_size=1",
        ],
        ["b.png"],
    ),
    (
        "zero batch size",
        lambda t, e: [
            "train",
            e,
            "--data",
            str(folder_with(t, {"a.png": png_bytes()}, "pngs")),
            "train.batch_size=0",
            *TINY,
        ],
        ["train.batch_size"],
    ),
    (
        "zero steps",
        lambda t, e: [
            "train",
            e,
            "--data",
            str(folder_with(t, {"a.png": png_bytes()}, "pngs")),
            "--steps",
            "0",
        ],
        ["--steps"],
    ),
    (
        "a config.yaml with a Python tag",
        lambda t, e: [
            "push",
            str(
                folder_with(
                    t,
                    {
                        "model.safetensors": b"{}",
                        "config.yaml": b"model: !!python/object/apply:os.system ['echo pwned']\n",
                    },
                )
            ),
            "--repo-id",
            "me/x",
            "--model-id",
            e,
            "--to",
            f"dir:{t}/hub",
        ],
        ["folder/config.yaml", "python/object/apply"],
    ),
    (
        "push a missing path",
        lambda t, e: ["push", str(t / "none"), "--repo-id", "me/x", "--to", f"dir:{t}/hub"],
        ["none"],
    ),
    (
        "push with a bad repo id",
        lambda t, e: [
            "push",
            str(make_checkpoint(e, t, seed=2)[0]),
            "--repo-id",
            "not a repo id!",
            "--to",
            f"dir:{t}/hub",
        ],
        ["not a repo id!"],
    ),
    (
        "push a folder without config",
        lambda t, e: [
            "push",
            str(folder_with(t, {"model.safetensors": b"{}"})),
            "--repo-id",
            "me/x",
            "--to",
            f"dir:{t}/hub",
        ],
        ["config.yaml"],
    ),
    (
        "push a corrupt checkpoint",
        lambda t, e: [
            "push",
            str(checkpoint(t, e, lambda b: b[:100])),
            "--repo-id",
            "me/x",
            "--to",
            f"dir:{t}/hub",
        ],
        ["bad.safetensors"],
    ),
    (
        "download from an empty dir hub",
        lambda t, e: ["download", "me/nothing", "--source", f"dir:{t}/hub"],
        ["me/nothing"],
    ),
    (
        "evaluate against a missing folder",
        lambda t, e: ["evaluate", e, "--untrained", "--real", str(t / "real"), *TINY],
        ["real"],
    ),
    (
        "evaluate against an empty folder",
        lambda t, e: ["evaluate", e, "--untrained", "--real", str(empty(t)), "--generate", "2"],
        ["empty"],
    ),
    (
        "evaluate with an unknown metric",
        lambda t, e: [
            "evaluate",
            e,
            "--untrained",
            "--real",
            str(folder_with(t, {"a.png": png_bytes()}, "pngs")),
            "--generate",
            "2",
            "--metrics",
            "psnr,nosuch",
        ],
        ["nosuch"],
    ),
    (
        "condition folder without images",
        lambda t, e: ["generate", SR, "--condition", str(empty(t)), "--out", out(t)],
        ["empty"],
    ),
    (
        "zero batch size to generate",
        lambda t, e: [
            "generate",
            e,
            "-n",
            "2",
            "--batch-size",
            "0",
            "--untrained",
            "--out",
            out(t),
        ],
        ["--batch-size"],
    ),
    (
        "a seed that is not a number",
        lambda t, e: ["generate", e, "-n", "2", "--seed", "abc", "--untrained", "--out", out(t)],
        ["--seed"],
    ),
    (
        "an unknown device",
        lambda t, e: [
            "generate",
            e,
            "-n",
            "2",
            "--device",
            "warp9",
            "--untrained",
            "--out",
            out(t),
        ],
        ["warp9"],
    ),
    (
        "an unknown hub",
        lambda t, e: [
            "push",
            str(make_checkpoint(e, t, seed=2)[0]),
            "--repo-id",
            "me/x",
            "--to",
            "ftp:x",
        ],
        ["ftp:x"],
    ),
    (
        "cgan3d evaluate on a corrupt scan",
        lambda t, e: [
            "cgan3d",
            "evaluate",
            CT,
            "--untrained",
            "--data",
            str(write(t / "s.nii.gz", b"\0" * 64)),
        ],
        ["s.nii.gz"],
    ),
    (
        "cgan3d reconstruct a 2D image",
        lambda t, e: [
            "cgan3d",
            "reconstruct",
            CT,
            "--untrained",
            "--condition",
            str(nifti(t / "slice.nii.gz", np.zeros((32, 32), "f4"))),
            "--out",
            out(t),
        ],
        ["slice.nii.gz"],
    ),
    ("info of a bad id shape", lambda t, e: ["info", "../../etc/passwd"], ["../../etc/passwd"]),
    (
        "weights revision that does not exist",
        lambda t, e: ["download", "me/x", "--revision", "v9", "--source", f"dir:{pushed(t, e)}"],
        ["v9"],
    ),
]


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def empty(tmp: Path) -> Path:
    folder = tmp / "empty"
    folder.mkdir(exist_ok=True)
    return folder


def folder_with(tmp: Path, files: dict[str, bytes], name: str = "folder") -> Path:
    folder = tmp / name
    folder.mkdir(exist_ok=True)
    for filename, data in files.items():
        (folder / filename).write_bytes(data)
    return folder


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.full((16, 16), 128, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def pushed(tmp: Path, model_id: str) -> Path:
    import zoo_core as zoo

    hub = tmp / "hub"
    zoo.push(make_checkpoint(model_id, tmp, seed=3)[0], "me/x", to=f"dir:{hub}")
    return hub


def file_digests(*roots: Path) -> dict[Path, str]:
    """The sha256 of every file under ``roots``: what a failed command must leave as it was."""
    import hashlib

    return {
        path: hashlib.sha256(path.read_bytes()).hexdigest()
        for root in roots
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize(("name", "argv", "says"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_input_gets_one_clear_line(example, tmp_path, hf_cache, name, argv, says):
    (tmp_path / "model.pt").write_bytes(b"\x80\x04K\x01.")  # a pickle
    args = argv(tmp_path, example)
    hf_cache.mkdir(parents=True, exist_ok=True)
    before = file_digests(tmp_path, hf_cache)
    result = CliRunner().invoke(cli, args)
    output = result.output
    assert result.exit_code in (1, 2), (result.exit_code, output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # no traceback
    assert "Traceback" not in output
    missing = [word for word in says if word not in output]
    assert not missing, f"{name}: {missing} not in {output!r}"
    assert not (tmp_path / "hub" / "me" / "x" / "refs").exists() or name.startswith("weights")
    after = file_digests(tmp_path, hf_cache)
    changed = [str(p) for p, digest in before.items() if after.get(p) != digest]
    assert not changed, f"{name}: the inputs, the hub or the cache changed: {changed}"
