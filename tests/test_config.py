"""Run configs: schema + YAML + dotlist overrides, with errors that name key, type and file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from omegaconf import MISSING

from zoo_core import config
from zoo_core.errors import ConfigError
from zoo_core.registry import ArchSpec


@dataclass
class ToyConfig:
    latent_dim: int = 100
    widths: list[int] = field(default_factory=lambda: [64, 32])
    norm: str = "batch"
    dropout: float | None = None


@dataclass
class NeedsDepth:
    depth: int = MISSING


ARCH = ArchSpec(name="toy", builder="unused.module:build", config=ToyConfig)


def _yaml(tmp_path: Path, text: str, name: str = "cfg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_file_and_overrides_merge_onto_the_schema(tmp_path):
    path = _yaml(tmp_path, "model:\n  latent_dim: 64\ntrain:\n  steps: 5\n  batch_size: 2\n")
    cfg = config.load(ARCH, path, ["model.widths=[8,4,2]", "train.optimizer_g.lr=0.001"])
    assert cfg.model.latent_dim == 64 and list(cfg.model.widths) == [8, 4, 2]
    assert cfg.train.steps == 5 and cfg.train.optimizer_g.lr == 0.001
    assert cfg.train.optimizer_d.lr == 2e-4  # untouched defaults stay
    assert cfg.data.mode == "images"
    text = config.to_yaml(cfg)
    assert "latent_dim: 64" in text and "steps: 5" in text


def test_wrong_key_names_key_file_and_what_the_section_takes(tmp_path):
    path = _yaml(tmp_path, "model:\n  latent_dimm: 3\n")
    with pytest.raises(ConfigError) as caught:
        config.load(ARCH, path)
    message = str(caught.value)
    assert message.startswith(f"{path}: unknown key 'model.latent_dimm'")
    assert "did you mean 'model.latent_dim'" in message
    assert "latent_dim (int), widths (list[int]), norm (str), dropout (float | null)" in message


def test_wrong_nested_key_in_the_core_schema(tmp_path):
    path = _yaml(tmp_path, "train:\n  optimizer_g: {name: adam, lrr: 0.1}\n")
    with pytest.raises(ConfigError, match=r"unknown key 'train\.optimizer_g\.lrr'") as caught:
        config.load(ARCH, path)
    assert "train.optimizer_g takes: name (str), lr (float)" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "key", "expected_type"),
    [
        ("model:\n  latent_dim: many\n", "model.latent_dim", "int"),
        ("model:\n  widths: wide\n", "model.widths", "list[int]"),
        ("model:\n  widths: [8, x]\n", "model.widths[1]", "int"),
        ("model:\n  dropout: lots\n", "model.dropout", "float | null"),
        ("train:\n  steps: 1.5\n", "train.steps", "int"),
        ("train:\n  amp: maybe\n", "train.amp", "bool"),
    ],
)
def test_wrong_type_names_key_expected_type_and_file(tmp_path, text, key, expected_type):
    path = _yaml(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        config.load(ARCH, path)
    assert str(caught.value).startswith(f"{path}: key {key!r} expects {expected_type} (")


def test_bad_overrides_name_the_override_key_and_type():
    with pytest.raises(ConfigError) as caught:
        config.load(ARCH, None, ["model.latent_dim=64", "model.latent_dim=big"])
    assert str(caught.value).startswith(
        "override 'model.latent_dim=big': key 'model.latent_dim' expects int"
    )
    with pytest.raises(ConfigError, match=r"override 'model\.depth=3': unknown key 'model\.depth'"):
        config.load(ARCH, None, ["model.depth=3"])
    with pytest.raises(ConfigError, match=r"override 'model\.latent_dim' must look like"):
        config.load(ARCH, None, ["model.latent_dim"])


def test_configs_cannot_call_resolvers(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_SECRET", "s3cret")
    path = _yaml(tmp_path, "model:\n  norm: ${oc.env:ZOO_SECRET}\n")
    with pytest.raises(ConfigError, match=r"key 'model\.norm' calls a resolver") as caught:
        config.load(ARCH, path)
    assert str(caught.value).startswith(str(path))
    with pytest.raises(ConfigError, match="calls a resolver"):
        config.load(ARCH, None, ["model.norm=${oc.env:ZOO_SECRET}"])
    # Plain references to other keys are values, not code, and stay allowed.
    cfg = config.load(
        ARCH, _yaml(tmp_path, "model:\n  latent_dim: ${train.batch_size}\n", "r.yaml")
    )
    assert cfg.model.latent_dim == cfg.train.batch_size == 16


def test_missing_file_bad_yaml_and_missing_values_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"config file .*nope\.yaml does not exist"):
        config.load(ARCH, tmp_path / "nope.yaml")
    bad = _yaml(tmp_path, "model: [1,\n")
    with pytest.raises(ConfigError, match=rf"{bad}: not valid YAML"):
        config.load(ARCH, bad)
    arch = ArchSpec(name="deep", builder="unused.module:build", config=NeedsDepth)
    empty = _yaml(tmp_path, "train:\n  steps: 1\n", "empty.yaml")
    with pytest.raises(ConfigError, match=rf"{empty}: no value for model\.depth"):
        config.load(arch, empty)
    assert config.load(arch, empty, ["model.depth=3"]).model.depth == 3


def test_architectures_extend_the_train_and_data_schemas(tmp_path):
    @dataclass
    class GrowingTrain(config.TrainConfig):
        fade_steps: int = 100

    arch = ArchSpec(name="grow", builder="m:b", config=ToyConfig, train_config=GrowingTrain)
    cfg = config.load(arch, _yaml(tmp_path, "train:\n  fade_steps: 7\n  steps: 3\n"))
    assert cfg.train.fade_steps == 7 and cfg.train.steps == 3
    with pytest.raises(ConfigError, match=r"unknown key 'train\.fade_steps'"):
        config.load(ARCH, _yaml(tmp_path, "train:\n  fade_steps: 7\n", "plain.yaml"))
