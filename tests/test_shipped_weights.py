"""Weights shipped inside plugin packages (``ModelSpec.weights``).

Every registered model that ships weights is checked here: each file's sha256 against its
card, a load by id with every hub refused, the tensors' shapes against the architecture its
config.yaml builds, at most 20 MB a file and 150 MB for all of them together. No plugin ships
weights yet, so a fake plugin (a tiny DCGAN written with ``zoo ship``) proves the mechanism:
the same generic check, tampering, listing, download, and publishing the folder unchanged.
"""

from __future__ import annotations

import json
import re
import stat
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.cards import card_text

import zoo_core as zoo
from zoo_core import api, cards, checkpoint, hub
from zoo_core import config as zoo_config
from zoo_core.cli import cli
from zoo_core.errors import ShippedWeightsError, WeightsIntegrityError, ZooError
from zoo_core.registry import ModelSpec, Registry, get_registry
from zoo_core.testing import check_shipped_weights
from zoo_core.weights import load_state_dict, sha256_file

MAX_TOTAL_BYTES = 150 * 2**20
MAX_FILE_BYTES = 20 * 2**20


def _registered_shipped_ids() -> list[str]:
    """Ids of every installed plugin that ship weights (read once, at collection)."""
    from zoo_core import plugins

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a broken plugin is test_plugins' business
        ids = sorted(s.id for s in get_registry().models.values() if s.weights is not None)
    plugins.reset()
    return ids


SHIPPED_IDS = _registered_shipped_ids()


@pytest.fixture
def no_hub(monkeypatch):
    """The network is forbidden: huggingface_hub offline and any hub access an error."""

    def refuse(source=None):
        raise AssertionError(f"shipped weights must load without a hub (asked for {source!r})")

    from huggingface_hub import constants

    # huggingface_hub reads HF_HUB_OFFLINE once, at import: set the constant too, so that it
    # is offline here whatever imported it first, and back online for the tests after this one
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hub, "get_source", refuse)


# -- every plugin that ships weights ----------------------------------------------------------


@pytest.mark.parametrize("model_id", SHIPPED_IDS)
def test_registered_shipped_weights_load_offline_and_fit(model_id, no_hub):
    spec = get_registry().model(model_id)
    check_shipped_weights(spec, max_file_bytes=MAX_FILE_BYTES)


def test_all_shipped_weights_together_stay_small():
    registry = get_registry()
    total = 0
    for model_id in SHIPPED_IDS:
        folder = registry.model(model_id).weights_path()
        total += sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert total <= MAX_TOTAL_BYTES, f"plugins ship {total / 2**20:.1f} MiB of weights"


# -- a fake plugin that ships weights ---------------------------------------------------------

MODEL_ID = "test-dcgan-shipped"
REPO_ID = "zoo-test/shipped-dcgan"
TINY = [
    "model.latent_dim=8",
    "model.resolution=8",
    "model.g_filters=4",
    "model.d_filters=4",
    "data.spatial_size=[8,8]",
]
PLUGIN_INIT = f"""
from zoo_core import ModelSpec, hookimpl


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            id="{MODEL_ID}",
            architecture="dcgan",
            config="zoo_dcgan:configs/radford-dcgan-mni152.yaml",
            weights="zoo_fake_shipped:weights/{MODEL_ID}",
        )
    )
"""


def _checkpoint(folder: Path) -> tuple[Path, dict, dict]:
    """A training checkpoint of a tiny DCGAN with an EMA generator; returns it, the raw
    state and the EMA entries (which the shipped generator must hold)."""
    import torch

    torch.manual_seed(0)
    model = zoo.load("radford-dcgan-mni152", pretrained=False, overrides=TINY)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    ema = {
        k: v + 0.25
        for k, v in state.items()
        if k.startswith("generator.") and v.is_floating_point()
    }
    path = checkpoint.write(
        folder / "step-00000010.safetensors",
        {"model": state, "ema": ema},
        model_id=MODEL_ID,
        config_yaml=zoo_config.to_yaml(model.config),
        state={"step": 10, "extra": {"card_notes": ["Trained for ten steps in a test."]}},
    )
    return path, state, ema


@pytest.fixture
def shipped(plugin_site, tmp_path):
    """The fake plugin ``shipped`` (with the real ``dcgan``), its weights written by ship()."""
    package = plugin_site.add_package(
        "zoo-fake-shipped", "shipped", "zoo_fake_shipped", {"__init__.py": PLUGIN_INIT}
    )
    plugin_site.activate(only=["shipped", "dcgan"])
    card = tmp_path / "card.md"
    card.write_text(card_text(MODEL_ID, "dcgan"), encoding="utf-8")
    ckpt, state, ema = _checkpoint(tmp_path)
    folder = package / "weights" / MODEL_ID
    result = zoo.ship(ckpt, folder, repo_id=REPO_ID, model_id=MODEL_ID, card=card)
    return {"folder": folder, "ckpt": ckpt, "state": state, "ema": ema, "result": result}


def test_fake_plugin_passes_the_generic_check_and_loads_the_ema_generator(shipped, no_hub):
    spec = get_registry().model(MODEL_ID)
    folder = shipped["folder"]
    assert spec.weights_path() == folder and spec.card_path() == folder / "README.md"
    size = check_shipped_weights(spec, max_file_bytes=MAX_FILE_BYTES)
    assert 0 < size <= MAX_TOTAL_BYTES

    model = zoo.load(MODEL_ID)
    card = cards.read(folder / "README.md")
    assert model.weights_info == {
        "repo_id": REPO_ID,
        "revision": None,
        "source": f"shipped:{folder}",
        "sha256": card.weights["files"],
    }
    assert model.card.source == str(folder / "README.md")
    loaded = model.state_dict()
    for key, tensor in shipped["state"].items():
        want = shipped["ema"].get(key, tensor)
        if key.startswith("generator."):
            assert torch_equal(loaded[key], want), key
    # Only what generating needs was shipped: no discriminator tensor is in the file.
    saved = load_state_dict(folder / "model.safetensors")
    assert saved and all(key.startswith("generator.") for key in saved)
    assert model.generate(n=2, seed=0).shape == (2, 1, 8, 8)


def torch_equal(a, b) -> bool:
    import torch

    return torch.equal(a, b)


def test_discriminator_state_keys_are_the_critics_params_and_buffers():
    from torch import nn

    from zoo_core.interfaces.model import GANModel

    sixteen = [*TINY, "model.resolution=16", "data.spatial_size=[16,16]"]
    model = zoo.load("radford-dcgan-mni152", pretrained=False, overrides=sixteen)
    keys = model.discriminator_state_keys()
    assert keys == {k for k in model.state_dict() if k.startswith("discriminator.")}
    assert any(k.endswith("running_mean") for k in keys)  # BatchNorm statistics go too

    class Shared(GANModel):
        """A critic that borrows the generator's first layer and has a norm without
        parameters of its own."""

        def __init__(self):
            super().__init__()
            self.generator = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2, affine=False))
            self.discriminator = nn.Sequential(
                self.generator[0], nn.Linear(2, 2), nn.BatchNorm1d(2, affine=False)
            )

    # The shared layer stays; the norm's statistics go with the nearest module that has
    # parameters (the whole discriminator, which holds the shared layer too), so they stay.
    assert Shared().discriminator_state_keys() == {"discriminator.1.weight", "discriminator.1.bias"}


def test_ship_keeps_the_card_body_and_writes_atomically(shipped):
    folder, result = shipped["folder"], shipped["result"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "config.yaml",
        "model.safetensors",
    ]
    assert [p.name for p in folder.parent.iterdir()] == [MODEL_ID]  # no staging left behind
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    card = cards.read(folder / "README.md")
    cards.validate(card)  # revision null is valid: unknown until pushed
    assert card.weights == {
        "repo_id": REPO_ID,
        "revision": None,
        "files": {n: sha256_file(folder / n) for n in ("model.safetensors", "config.yaml")},
    }
    assert result.files == card.weights["files"]
    assert card.metadata["license"] == "apache-2.0"  # the Hub's spelling, pushable as is
    assert card.body.startswith(f"# {MODEL_ID}\n\nA toy model card.\n")
    assert card.body.count("Trained for ten steps in a test.") == 1
    assert "g_filters: 4" in (folder / "config.yaml").read_text()

    with pytest.raises(ShippedWeightsError, match="exists; pass overwrite=True"):
        zoo.ship(shipped["ckpt"], folder, repo_id=REPO_ID)
    # Re-shipping from the registered card (the shipped README) keeps it and its notes once.
    again = zoo.ship(shipped["ckpt"], folder, repo_id=REPO_ID, overwrite=True)
    assert again.files == result.files
    assert cards.read(folder / "README.md").body == card.body
    with pytest.raises(ZooError, match="is a checkpoint of 'test-dcgan-shipped', not 'x-y'"):
        zoo.ship(shipped["ckpt"], folder.parent / "other", repo_id=REPO_ID, model_id="x-y")


def test_zoo_ship_command(shipped, tmp_path):
    out = tmp_path / "cli-weights"
    args = ["ship", str(shipped["ckpt"]), "--id", MODEL_ID, "--repo-id", REPO_ID]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"to {out}" in result.output and "model.safetensors" in result.output
    for name in ("model.safetensors", "config.yaml"):  # the same bytes as the Python API's
        assert (out / name).read_bytes() == (shipped["folder"] / name).read_bytes()
    refused = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert refused.exit_code == 1 and "--force" in refused.output


@pytest.mark.parametrize("name", ["model.safetensors", "config.yaml"])
def test_a_tampered_shipped_file_is_refused_before_anything_is_built(shipped, name, monkeypatch):
    path = shipped["folder"] / name
    data = bytearray(path.read_bytes())
    data[-2] ^= 0x01
    path.write_bytes(bytes(data))

    def no_build(*args, **kwargs):
        raise AssertionError("a model was built from tampered weights")

    monkeypatch.setattr(api, "build", no_build)
    with pytest.raises(WeightsIntegrityError, match=rf"sha256 of {name} is .*Nothing was loaded"):
        zoo.load(MODEL_ID)
    with pytest.raises(WeightsIntegrityError, match=re.escape(str(shipped["folder"]))):
        zoo.download(MODEL_ID)


def test_a_missing_shipped_file_is_named(shipped):
    (shipped["folder"] / "config.yaml").unlink()
    with pytest.raises(
        WeightsIntegrityError, match=r"config\.yaml listed in README\.md but not in"
    ):
        zoo.load(MODEL_ID)


def test_list_info_and_download_say_the_weights_are_shipped(shipped, no_hub):
    rows = {row["id"]: row for row in zoo.list_models(pretrained=True)}
    assert MODEL_ID in rows  # beside the real dcgan plugin's own shipped id
    assert rows[MODEL_ID]["shipped"] is True and rows[MODEL_ID]["weights"] is True
    assert MODEL_ID not in [r["id"] for r in zoo.list_models(pretrained=False)]

    runner = CliRunner()
    listed = runner.invoke(cli, ["list", "--pretrained"])
    line = next(line for line in listed.output.splitlines() if MODEL_ID in line)
    assert line.rstrip().endswith("shipped")
    info = runner.invoke(cli, ["info", MODEL_ID])
    assert info.exit_code == 0, info.output
    assert "shipped in" in info.output and "A toy model card." in info.output

    fetched = zoo.download(MODEL_ID)
    assert fetched.source == f"shipped:{shipped['folder']}"
    assert sorted(fetched.files) == ["config.yaml", "model.safetensors"]
    said = runner.invoke(cli, ["download", MODEL_ID])
    assert said.exit_code == 0, said.output
    assert "installed with the package" in said.output and str(shipped["folder"]) in said.output


def _pushed(args: list[str]) -> dict:
    result = CliRunner().invoke(cli, ["push", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_push_publishes_the_shipped_folder_unchanged_and_it_loads_back(
    shipped, tmp_path, hub_server
):
    folder, dir_hub = shipped["folder"], tmp_path / "hub"
    source = f"dir:{dir_hub}"
    pushed = _pushed([str(folder), "--repo-id", REPO_ID, "--to", source])
    commit = dir_hub / REPO_ID / "commits" / pushed["commit"]
    for name in ("model.safetensors", "config.yaml", "README.md"):
        assert (commit / name).read_bytes() == (folder / name).read_bytes(), name

    by_repo = zoo.load(REPO_ID, source=source)
    by_id = zoo.load(MODEL_ID, source=source)  # an explicit source: the hub, not the package
    shipped_model = zoo.load(MODEL_ID)
    assert by_id.weights_info["source"] == source
    assert by_id.weights_info["revision"] == pushed["commit"]
    for model in (by_repo, by_id):
        for key, tensor in shipped_model.state_dict().items():
            if key.startswith("generator."):
                assert torch_equal(model.state_dict()[key], tensor), key

    # The Hugging Face Hub (the loopback one) accepts the shipped card as it is.
    _pushed([str(folder), "--repo-id", REPO_ID])
    files = hub_server.files(REPO_ID)
    for name in ("model.safetensors", "config.yaml", "README.md"):
        assert files[name] == (folder / name).read_bytes(), name

    # Under another repo id only the card's zoo.weights.repo_id changes.
    _pushed([str(folder), "--repo-id", "zoo-test/elsewhere", "--to", source])
    other = zoo.load("zoo-test/elsewhere", source=source)
    assert other.card.weights["repo_id"] == "zoo-test/elsewhere"
    assert other.card.weights["files"] == cards.read(folder / "README.md").weights["files"]
    assert other.card.body == cards.read(folder / "README.md").body


def test_model_spec_card_defaults_to_the_shipped_readme():
    spec = ModelSpec("a-b-c", "dcgan", "pkg:configs/a.yaml", weights="pkg:weights/a-b-c")
    assert spec.card == "pkg:weights/a-b-c/README.md" and spec.problem() is None
    plain = ModelSpec("a-b-d", "dcgan", "pkg:configs/a.yaml", "pkg:model_cards/a.md")
    assert plain.weights is None and plain.weights_path() is None and plain.problem() is None
    registry = Registry()
    registry.add_model(spec, "p")
    assert registry.model("a-b-c").card == spec.card  # replace(plugin=...) keeps it
    two_cards = ModelSpec("a-b-e", "dcgan", "c.yaml", "pkg:cards/e.md", weights="pkg:weights/e")
    with pytest.raises(ZooError, match=r"its card is 'pkg:weights/e/README\.md'.*leave card= out"):
        registry.add_model(two_cards, "p")
    with pytest.raises(ZooError, match=r"needs card= .* or weights="):
        registry.add_model(ModelSpec("a-b-f", "dcgan", "c.yaml"), "p")
