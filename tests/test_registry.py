"""The registry: ids and architectures from plugins, lookups, fnmatch patterns and facets."""

from __future__ import annotations

import warnings

import pytest
from helpers.fakes import toy_plugin

import zoo_core as zoo
from zoo_core.errors import UnknownArchitectureError, UnknownModelError, ZooError
from zoo_core.plugins import PluginWarning, plugin_infos
from zoo_core.registry import ModelSpec, Registry, get_registry, resolve_object, resource_path

CATALOG = {
    "alpha": {
        "smith-alpha-brainmr": {"modality": "MR", "dims": 2},
        "smith-alpha-headct": {"modality": "CT", "dims": 2},
        "smith-alpha-brainsr": {"modality": "MR", "dims": 3, "task": "super-resolution"},
    },
    "beta": {
        "jones-beta-brainmr": {"modality": "MR", "dims": 2},
        "jones-beta-retina": {
            "modality": "fundus",
            "dims": 2,
            "task": "translation",
            "weights": {
                "repo_id": "jones/beta-retina",
                "revision": None,
                "files": {"model.safetensors": "a" * 64},
            },
        },
    },
}


@pytest.fixture
def catalog(plugin_site):
    for name, models in CATALOG.items():
        toy_plugin(plugin_site, name, models)
    plugin_site.activate()
    return plugin_site


def _ids(rows) -> list[str]:
    return [row["id"] for row in rows]


def test_specs_carry_their_plugin_and_resources(catalog):
    registry = get_registry()
    spec = registry.model("smith-alpha-brainmr")
    assert spec.plugin == "alpha" and spec.architecture == "alpha"
    assert spec.card_path().is_file() and spec.config_path().read_text().startswith("model:")
    assert spec.card_path() == catalog.root / "zoo-fake-alpha" / "zoo_fake_alpha" / (
        "model_cards/smith-alpha-brainmr.md"
    )
    arch = registry.architecture("beta")
    assert arch.plugin == "beta" and arch.builder == "zoo_fake_beta.model:build"
    assert resource_path("/abs/path.yaml").as_posix() == "/abs/path.yaml"


def test_list_models_patterns_and_facets(catalog):
    assert _ids(zoo.list_models()) == sorted(
        model_id for models in CATALOG.values() for model_id in models
    )
    assert _ids(zoo.list_models("smith-*")) == [
        "smith-alpha-brainmr",
        "smith-alpha-brainsr",
        "smith-alpha-headct",
    ]
    assert _ids(zoo.list_models(["*-retina", "*-headct"])) == [
        "jones-beta-retina",
        "smith-alpha-headct",
    ]
    assert _ids(zoo.list_models("*brain*", modality="mr", dims=2)) == [
        "jones-beta-brainmr",
        "smith-alpha-brainmr",
    ]
    assert _ids(zoo.list_models(task="super-resolution")) == ["smith-alpha-brainsr"]
    assert _ids(zoo.list_models(dims=3)) == ["smith-alpha-brainsr"]
    assert _ids(zoo.list_models(architecture="beta")) == ["jones-beta-brainmr", "jones-beta-retina"]
    assert _ids(zoo.list_models(pretrained=True)) == ["jones-beta-retina"]
    assert "jones-beta-retina" not in _ids(zoo.list_models(pretrained=False))
    assert zoo.list_models("nothing-*") == []
    row = zoo.list_models("smith-alpha-brainsr")[0]
    assert row == {
        "id": "smith-alpha-brainsr",
        "architecture": "alpha",
        "paper": "Doe 2020",
        "modality": "MR",
        "task": "super-resolution",
        "dims": 3,
        "resolution": "16x16x16",
        "weights": False,
        "plugin": "alpha",
        "shipped": False,
    }


def test_unknown_ids_and_architectures_suggest_the_closest(catalog):
    registry = get_registry()
    with pytest.raises(UnknownModelError) as caught:
        registry.model("smith-alpha-brainmri")
    assert str(caught.value).startswith(
        "Unknown model id 'smith-alpha-brainmri'. Did you mean: smith-alpha-brainmr, "
    )
    assert caught.value.suggestions[0] == "smith-alpha-brainmr"
    assert len(caught.value.suggestions) == 3
    with pytest.raises(UnknownModelError, match="Run `zoo list` to see the registered ids"):
        registry.model("qqqq")
    with pytest.raises(UnknownArchitectureError, match=r"'gamma' \(registered: alpha, beta\)"):
        registry.architecture("gamma")


def test_bad_registrations_are_charged_to_their_plugin(plugin_site):
    extra = """

@hookimpl
def register_losses(register):
    register("toy-loss", "zoo_fake_delta.losses:make")
    register("toy-loss", "zoo_fake_delta.losses:make_again")
"""
    toy_plugin(plugin_site, "delta", {"doe-delta-ok": {}}, extra=extra)
    package = plugin_site.root / "zoo-fake-delta" / "zoo_fake_delta"
    init = package / "__init__.py"
    init.write_text(
        init.read_text().replace(
            "for model_id in ['doe-delta-ok']:",
            "register('not a spec')\n    register(ModelSpec(id='BadId', architecture='delta', "
            "config='x', card='y'))\n    for model_id in ['doe-delta-ok']:",
        )
    )
    plugin_site.activate()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry = get_registry()
    messages = [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]
    assert any("'delta'" in m and "expects ModelSpec, got str" in m for m in messages)
    assert any("'delta'" in m and "model id 'BadId' must look like" in m for m in messages)
    assert any("loss 'toy-loss' is registered by both 'delta' and 'delta'" in m for m in messages)
    assert list(registry.models) == ["doe-delta-ok"]  # the good registration still counts
    assert registry.losses["toy-loss"] == ("zoo_fake_delta.losses:make", "delta")
    infos = {i.name: i for i in plugin_infos()}
    assert len(infos["delta"].errors) == 3


def test_a_hook_that_raises_does_not_stop_the_others(plugin_site):
    toy_plugin(plugin_site, "alpha", {"smith-alpha-brainmr": {}})
    toy_plugin(
        plugin_site,
        "epsilon",
        {"doe-epsilon-x": {}},
        models_hook="_unused",
        extra="\n\n@hookimpl\ndef register_models(register):\n    raise RuntimeError('boom')\n",
    )
    plugin_site.activate()
    with pytest.warns(PluginWarning) as caught:
        registry = get_registry()
    messages = [str(w.message) for w in caught]
    assert "zoo plugin 'epsilon': register_models failed: RuntimeError: boom" in messages
    assert list(registry.models) == ["smith-alpha-brainmr"]
    assert "epsilon" in registry.architectures


def test_resolve_object_only_takes_module_colon_attribute():
    assert resolve_object("zoo_core.registry:ModelSpec") is ModelSpec
    with pytest.raises(ZooError, match=r"is not of the form 'package\.module:attribute'"):
        resolve_object("zoo_core.registry.ModelSpec")
    with pytest.raises(ZooError, match=r"'zoo_core\.registry' has no attribute 'Nope'"):
        resolve_object("zoo_core.registry:Nope")


def test_a_builder_that_crashes_is_named_with_its_plugin():
    from dataclasses import replace

    from helpers.tiny_gan import ARCH, config

    from zoo_core.errors import PluginError

    # a builder with a bug: it takes one argument, as builders do, but not a config
    broken = replace(ARCH, builder="math:sqrt", plugin="zoo-tiny")
    with pytest.raises(PluginError, match=r"plugin 'zoo-tiny' failed to build architecture "
                       r"'tinygan' \(math:sqrt\): TypeError") as caught:  # fmt: skip
        broken.build(config().model)
    assert isinstance(caught.value.__cause__, TypeError)  # the original stays for the authors


def test_a_callback_whose_signature_does_not_fit_is_named_before_it_is_called():
    from dataclasses import replace

    from helpers.tiny_gan import ARCH, config

    from zoo_core.errors import PluginError

    # nn.Linear wants two sizes: the core would call it with one config
    broken = replace(ARCH, builder="torch.nn:Linear", plugin="zoo-tiny")
    with pytest.raises(PluginError, match=r"plugin 'zoo-tiny': architecture 'tinygan' builder "
                       r"'torch.nn:Linear' has the signature \(in_features.*but the core calls "
                       r"it as \(model_config\) \(ModelBuilder"):  # fmt: skip
        broken.build(config().model)
    evaluation = replace(ARCH, evaluation="helpers.tiny_gan:build", plugin="zoo-tiny")
    with pytest.raises(PluginError, match=r"evaluation 'helpers.tiny_gan:build' .* calls it as "
                       r"\(model, real, \*, seed, device\)"):  # fmt: skip
        evaluation.resolve("evaluation")
    missing = replace(ARCH, dataset="helpers.tiny_gan:nothing_here", plugin="zoo-tiny")
    with pytest.raises(PluginError, match=r"'zoo-tiny': architecture 'tinygan' dataset "
                       r"'helpers.tiny_gan:nothing_here' cannot be imported"):  # fmt: skip
        missing.resolve("dataset")


def test_a_class_is_a_builder():
    from dataclasses import replace

    from helpers.tiny_gan import ARCH, TinyGAN, config

    model = replace(ARCH, builder="helpers.tiny_gan:TinyGAN").build(config().model)
    assert type(model) is TinyGAN


def test_a_callback_that_is_not_a_module_attribute_string_is_refused_at_registration():
    from dataclasses import replace

    from helpers.tiny_gan import ARCH

    registry = Registry()
    with pytest.raises(ZooError, match=r"trainer='zoo_tiny.Trainer' must be a "
                       r"'package.module:attribute' string"):  # fmt: skip
        registry.add_architecture(replace(ARCH, trainer="zoo_tiny.Trainer"), "zoo-tiny")
    assert registry.architectures == {}


def test_packaged_fills_the_conventional_paths():
    plain = ModelSpec.packaged("zoo_x", "smith-x-data", "x")
    assert (plain.config, plain.card, plain.weights) == (
        "zoo_x:configs/smith-x-data.yaml", "zoo_x:model_cards/smith-x-data.md", None
    )  # fmt: skip
    shipped = ModelSpec.packaged("zoo_x", "smith-x-data", "x", shipped=True)
    assert shipped.weights == "zoo_x:weights/smith-x-data"
    assert (
        shipped.card == "zoo_x:weights/smith-x-data/README.md" and shipped.problem() is None
    )  # the original stays for the authors
