"""Models as Hub citizens: from_pretrained, save_pretrained and push_to_hub (issue 15).

The model is the plugin template, installed as a real plugin and shrunk to milliseconds;
pushes go to the loopback Hub of tests/conftest.py or to a directory hub, so the real
huggingface_hub client is exercised without the network.
"""

from __future__ import annotations

import json

import pytest
import torch
from helpers.example import TINY, assert_same_state, render_example

import zoo_core as zoo
from zoo_core import cards, precision
from zoo_core.errors import HubError, WeightsIntegrityError, ZooError
from zoo_core.interfaces.model import GANModel


@pytest.fixture
def example(plugin_site):
    model_id = render_example(plugin_site, "pretrainedgan")
    plugin_site.activate()
    return model_id


def _fresh(model_id: str, seed: int) -> GANModel:
    torch.manual_seed(seed)
    return zoo.load(model_id, pretrained=False, overrides=TINY)


def test_a_saved_folder_loads_back_bit_identically(example, tmp_path):
    model = _fresh(example, seed=11)
    folder = model.save_pretrained(tmp_path / "saved")

    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "config.yaml",
        "model.safetensors",
    ]  # the layout of a shipped weights folder, and no temporary file left behind
    card = cards.read(folder / "README.md")
    cards.validate(card)
    assert set(card.weights["files"]) == {"model.safetensors", "config.yaml"}

    loaded = GANModel.from_pretrained(folder)
    assert_same_state(loaded, model.state_dict())
    assert torch.equal(loaded.generate(n=3, seed=5), model.generate(n=3, seed=5))
    assert zoo.load(str(folder)).model_id == example  # zoo.load stays the short form


def test_a_folder_changed_after_saving_is_refused(example, tmp_path):
    folder = _fresh(example, seed=12).save_pretrained(tmp_path / "saved")
    config = folder / "config.yaml"
    config.write_text(config.read_text().replace("base_filters: 4", "base_filters: 5"))
    with pytest.raises(WeightsIntegrityError, match=r"sha256 of config\.yaml"):
        GANModel.from_pretrained(folder)


def test_from_pretrained_refuses_another_class(example, tmp_path):
    folder = _fresh(example, seed=13).save_pretrained(tmp_path / "saved")

    class OtherGAN(GANModel):
        pass

    with pytest.raises(ZooError, match=r"not a OtherGAN"):
        OtherGAN.from_pretrained(folder)


def test_push_to_hub_then_from_pretrained_with_cache_options(example, hub_server, tmp_path):
    model = _fresh(example, seed=14)
    pushed = model.push_to_hub("zoo-test/pretrained")
    files = hub_server.files("zoo-test/pretrained")
    assert {"model.safetensors", "config.yaml", "README.md"} <= set(files)
    assert pushed.model_id == example

    cache = tmp_path / "cache"
    loaded = GANModel.from_pretrained("zoo-test/pretrained", cache_dir=cache)
    assert_same_state(loaded, model.state_dict())
    assert list(cache.glob("models--zoo-test--pretrained/snapshots/*/model.safetensors"))

    start = len(hub_server.requests)
    again = GANModel.from_pretrained("zoo-test/pretrained", cache_dir=cache, local_files_only=True)
    assert len(hub_server.requests) == start  # the cache alone answered
    assert_same_state(again, model.state_dict())
    with pytest.raises(HubError, match=r"not in the local cache"):
        zoo.load("zoo-test/pretrained", cache_dir=tmp_path / "empty", local_files_only=True)


def test_a_failed_push_to_hub_leaves_the_hub_as_it_was(example, tmp_path):
    hub = tmp_path / "hub"
    model = _fresh(example, seed=15)
    first = model.push_to_hub("me/kept", to=f"dir:{hub}")
    with pytest.raises(ZooError, match=r"no finite metric"):
        _fresh(example, seed=16).push_to_hub("me/kept", to=f"dir:{hub}", metrics={"metrics": {}})
    assert (hub / "me/kept/refs/main").read_text().strip() == first.commit
    assert_same_state(zoo.load("me/kept", source=f"dir:{hub}"), model.state_dict())


def test_push_writes_model_index_from_evaluate_json(example, tmp_path):
    hub = tmp_path / "hub"
    evaluation = {"model_id": example, "metrics": {"fid": 12.5, "fid_std": 0.4, "kid": "inf"}}
    (tmp_path / "metrics.json").write_text(json.dumps(evaluation))
    folder = _fresh(example, seed=17).save_pretrained(tmp_path / "saved")
    from click.testing import CliRunner

    from zoo_core.cli import cli

    result = CliRunner().invoke(
        cli,
        ["push", str(folder), "--repo-id", "me/evaluated", "--to", f"dir:{hub}", "--json",
         "--metrics", str(tmp_path / "metrics.json"), "--metrics-dataset", "MNI152 held-out"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    card = cards.read(next((hub / "me/evaluated/commits").glob("*/README.md")))
    cards.validate(card)
    (entry,) = card.metadata["model-index"]
    (res,) = entry["results"]
    assert res["dataset"]["name"] == "MNI152 held-out"
    assert res["metrics"] == [{"type": "fid", "value": 12.5, "name": "FID"}]


def test_dtype_casts_the_weights_and_generate_runs_in_it_returning_float32(example):
    full = zoo.load(example, pretrained=False, overrides=TINY)
    model = zoo.load(example, pretrained=False, overrides=TINY, dtype="bfloat16")
    model.load_state_dict({k: v.to(torch.bfloat16) for k, v in full.state_dict().items()})
    assert model.dtype == torch.bfloat16
    assert all(p.dtype == torch.bfloat16 for p in model.parameters())
    out = model.generate(n=2, seed=0)
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    assert not torch.equal(out, full.generate(n=2, seed=0))  # bf16 arithmetic: close, not equal
    assert torch.allclose(out, full.generate(n=2, seed=0), atol=0.1)
    assert torch.get_default_dtype() == torch.float32  # restored after generating
    assert not torch.is_autocast_enabled("cpu")
    auto = zoo.load(example, pretrained=False, overrides=TINY, dtype="auto")
    assert auto.dtype == (torch.bfloat16 if precision.cpu_has_fast_bf16() else torch.float32)
    with pytest.raises(ZooError, match=r"not a floating-point torch dtype"):
        zoo.load(example, pretrained=False, overrides=TINY, dtype="int8")


def test_save_pretrained_leaves_out_a_discriminator_that_was_never_loaded(example, tmp_path):
    model = _fresh(example, seed=18)
    critic = model.discriminator_state_keys()
    assert critic
    model.discriminator_loaded = False  # as after loading generator-only (shipped) weights
    folder = model.save_pretrained(tmp_path / "saved")
    from zoo_core.weights import load_state_dict

    assert not critic & set(load_state_dict(folder / "model.safetensors"))
    assert GANModel.from_pretrained(folder).discriminator_loaded is False


def test_an_untrained_model_from_an_init_seed_is_the_same_every_time(example):
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    first = zoo.load(example, pretrained=False, overrides=TINY, init_seed=7)
    again = zoo.load(example, pretrained=False, overrides=TINY, init_seed=7)
    other = zoo.load(example, pretrained=False, overrides=TINY, init_seed=8)
    weights = lambda m: torch.cat([p.flatten() for p in m.parameters()])  # noqa: E731
    assert torch.equal(weights(first), weights(again))
    assert not torch.equal(weights(first), weights(other))
    assert torch.equal(torch.rand(1), before)  # the caller's random stream is untouched
