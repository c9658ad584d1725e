"""zoo.load from local files: a training checkpoint or a model folder, as trained."""

from __future__ import annotations

import pytest
import torch
from helpers.example import make_checkpoint, render_example

import zoo_core as zoo
from zoo_core import api as zoo_api
from zoo_core.errors import ZooError


@pytest.fixture
def example(plugin_site):
    model_id = render_example(plugin_site, "localgan")
    plugin_site.activate()
    return model_id


def test_checkpoint_loads_with_its_own_config_and_weights(example, tmp_path):
    path, state = make_checkpoint(example, tmp_path, seed=3)
    model = zoo.load(str(path))
    assert model.model_id == example
    assert model.config.model.base_filters == 4  # the checkpoint's config, not the paper's
    assert not model.training
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, state[name]), name
    assert model.weights_info == {"path": str(path), "pretrained": True}


def test_load_local_refuses_a_checkpoint_of_another_model(example, tmp_path):
    path, _ = make_checkpoint(example, tmp_path, seed=5)
    assert zoo_api.load_local(path, model_id=example).model_id == example
    with pytest.raises(ZooError, match=rf"is a checkpoint of '{example}', not 'other-id'"):
        zoo_api.load_local(path, model_id="other-id")


def test_model_folder_loads_and_matches_the_checkpoint_it_came_from(example, tmp_path):
    path, _ = make_checkpoint(example, tmp_path, seed=4)
    published = zoo.push(path, "me/localgan", to=f"dir:{tmp_path / 'hub'}")
    folder = tmp_path / "hub" / "me" / "localgan" / "commits" / published.commit
    from_folder = zoo.load(str(folder)).generate(n=2, seed=0)
    from_checkpoint = zoo.load(str(path)).generate(n=2, seed=0)
    assert torch.equal(from_folder, from_checkpoint)


def test_missing_local_files_are_named(tmp_path):
    with pytest.raises(ZooError, match="does not exist"):
        zoo.load(str(tmp_path / "nothing.safetensors"))
    with pytest.raises(ZooError, match=r"no model\.safetensors or config\.yaml"):
        zoo.load(str(tmp_path))


def test_a_folder_named_like_a_model_does_not_hide_it(example, tmp_path, monkeypatch):
    path, _ = make_checkpoint(example, tmp_path, seed=6)
    published = zoo.push(path, "me/localgan", to=f"dir:{tmp_path / 'hub'}")
    work = tmp_path / "work"
    (work / example).mkdir(parents=True)  # e.g. a run folder named after the id
    (work / "me" / "localgan").mkdir(parents=True)  # e.g. outputs kept per repo
    monkeypatch.chdir(work)
    assert zoo.load(example, pretrained=False).weights_info == {"pretrained": False}
    from_hub = zoo.load("me/localgan", source=f"dir:{tmp_path / 'hub'}")
    assert from_hub.weights_info["revision"] == published.commit


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        ("empty", "it is empty"),
        ("truncated", "not a complete safetensors file"),
        ("garbage", "not a complete safetensors file"),
    ],
)
def test_an_unreadable_checkpoint_is_named_by_load_generate_and_push(
    example, tmp_path, damage, says
):
    from click.testing import CliRunner

    from zoo_core.cli import cli
    from zoo_core.errors import CorruptWeightsError

    path, _ = make_checkpoint(example, tmp_path, seed=6)
    data = path.read_bytes()
    broken = {"empty": b"", "truncated": data[: len(data) - 100], "garbage": b"not weights"}
    path.write_bytes(broken[damage])
    with pytest.raises(CorruptWeightsError, match=says) as info:
        zoo.load(str(path))
    assert str(path) in str(info.value)
    hub = f"dir:{tmp_path / 'hub'}"
    generate = ["generate", str(path), "--out", str(tmp_path / "o")]
    push = ["push", str(path), "--repo-id", "org/m", "--to", hub]
    for command in (generate, push):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 1, (command, result.output)
        assert "Traceback" not in result.output and str(path) in result.output
        assert says in result.output
    assert path.read_bytes() == broken[damage]  # nothing rewrote it
    assert not (tmp_path / "hub").exists()  # and nothing was published


def test_a_pickle_beside_its_config_loads_only_when_allowed(example, tmp_path):
    from zoo_core import config as zoo_config
    from zoo_core.errors import UnsafeWeightsError

    path, state = make_checkpoint(example, tmp_path, seed=8)
    config_yaml = zoo_config.to_yaml(zoo.load(str(path)).config)
    folder = tmp_path / "from-elsewhere"
    folder.mkdir()
    pickle = folder / "model.pt"
    torch.save(state, pickle)
    with pytest.raises(ZooError, match=r"has no config\.yaml, so the model they belong to"):
        zoo.load(str(pickle), allow_pickle=True)
    (folder / "config.yaml").write_text(config_yaml)
    with pytest.raises(UnsafeWeightsError, match=r"model\.pt is a pickle file"):
        zoo.load(str(pickle))  # taken as a file, not as a Hub repo id
    with pytest.raises(ZooError, match=r"no README\.md card or weights metadata names the model"):
        zoo.load(str(pickle), allow_pickle=True)
    zoo.push(str(path), "me/card-donor", to=f"dir:{tmp_path / 'hub'}")
    donor = next((tmp_path / "hub").rglob("README.md"))
    (folder / "README.md").write_text(donor.read_text())
    model = zoo.load(str(pickle), allow_pickle=True)
    assert model.model_id == example
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, state[name]), name
    with pytest.raises(ZooError, match=r"missing\.pt does not exist; give a checkpoint"):
        zoo.load(str(folder / "missing.pt"), allow_pickle=True)

    from click.testing import CliRunner

    from zoo_core.cli import cli

    argv = ["generate", str(pickle), "-n", "2", "--out", str(tmp_path / "out")]
    refused = CliRunner().invoke(cli, argv)
    assert refused.exit_code == 1 and "--allow-pickle (zoo generate)" in refused.output
    allowed = CliRunner().invoke(cli, [*argv, "--allow-pickle"])
    assert allowed.exit_code == 0, allowed.output
    assert len(list((tmp_path / "out").glob("*.png"))) == 2
