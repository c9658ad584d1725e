"""Plugin discovery: broken, duplicate and misspelled plugins are reported, not fatal."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest
from helpers.fakes import broken_plugin, toy_plugin

from zoo_core import plugins
from zoo_core.plugins import PluginWarning, plugin_infos
from zoo_core.registry import get_registry

ZOO = [sys.executable, "-m", "zoo_core.cli"]


def _run_zoo(*args: str) -> subprocess.CompletedProcess:
    """The real CLI in a fresh interpreter (PYTHONPATH and ZOO_PLUGINS set by the site)."""
    code = "import sys; from zoo_core.cli import main; sys.argv = ['zoo', *sys.argv[1:]]; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )


def _infos() -> dict[str, plugins.PluginInfo]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        return {info.name: info for info in plugin_infos()}


def test_broken_import_is_reported_and_the_rest_loads(plugin_site):
    toy_plugin(plugin_site, "alpha", {"alpha-toy-one": {}})
    broken_plugin(plugin_site, "bad")
    plugin_site.activate()

    with pytest.warns(PluginWarning, match=r"zoo plugin 'bad': failed to import: ModuleNotFound"):
        registry = get_registry()
    assert sorted(registry.models) == ["alpha-toy-one"]
    infos = _infos()
    assert infos["alpha"].ok and infos["alpha"].version == "0.1.0"
    assert infos["alpha"].hooks == ["register_architectures", "register_models"]
    assert "a_module_that_is_not_installed" in infos["bad"].errors[0]


def test_duplicate_id_names_both_plugins_and_keeps_the_first(plugin_site):
    toy_plugin(plugin_site, "alpha", {"alpha-toy-one": {}, "shared-toy-model": {}})
    toy_plugin(plugin_site, "beta", {"beta-toy-two": {}, "shared-toy-model": {}})
    plugin_site.activate()

    with pytest.warns(PluginWarning) as record:
        registry = get_registry()
    messages = [str(w.message) for w in record if "shared-toy-model" in str(w.message)]
    assert len(messages) == 1
    assert "'alpha'" in messages[0] and "'beta'" in messages[0]
    assert sorted(registry.models) == ["alpha-toy-one", "beta-toy-two", "shared-toy-model"]
    # The plugin loaded first keeps the id; the error is charged to the later one.
    order = [name for name in _infos() if name in ("alpha", "beta")]
    first, second = order
    assert registry.models["shared-toy-model"].plugin == first
    infos = _infos()
    assert infos[first].ok
    assert any("shared-toy-model" in e and "kept" in e for e in infos[second].errors)


def test_misspelled_hook_is_reported_with_a_suggestion(plugin_site):
    toy_plugin(plugin_site, "gamma", {"gamma-toy-three": {}}, models_hook="register_model")
    plugin_site.activate()

    with pytest.warns(
        PluginWarning, match=r"'gamma'.*unknown hook 'register_model'.*'register_models'"
    ):
        registry = get_registry()
    assert "gamma" in registry.architectures  # its correctly spelled hook still ran
    assert "gamma-toy-three" not in registry.models


def test_cli_reports_every_broken_plugin_and_keeps_working(plugin_site):
    toy_plugin(plugin_site, "alpha", {"alpha-toy-one": {}, "shared-toy-model": {}})
    toy_plugin(plugin_site, "beta", {"beta-toy-two": {}, "shared-toy-model": {}})
    toy_plugin(plugin_site, "gamma", {"gamma-toy-three": {}}, models_hook="register_model")
    broken_plugin(plugin_site, "bad")
    plugin_site.activate()

    listed = _run_zoo("list", "--json")
    assert listed.returncode == 0, listed.stderr
    ids = [row["id"] for row in json.loads(listed.stdout)]
    assert ids == ["alpha-toy-one", "beta-toy-two", "shared-toy-model"]
    assert "zoo plugin 'bad'" in listed.stderr  # the warning names the plugin

    shown = _run_zoo("plugins", "--json")
    assert shown.returncode == 0, shown.stderr
    report = {p["name"]: p for p in json.loads(shown.stdout)}
    assert set(report) == {"zoo_core", "alpha", "beta", "gamma", "bad"}
    assert "failed to import" in report["bad"]["errors"][0]
    assert "register_model" in report["gamma"]["hooks"]
    assert "unknown hook 'register_model'" in report["gamma"]["errors"][0]
    duplicate = [e for p in report.values() for e in p["errors"] if "shared-toy-model" in e]
    assert len(duplicate) == 1 and "'alpha'" in duplicate[0] and "'beta'" in duplicate[0]
    assert report["alpha"]["errors"] == [] or report["beta"]["errors"] == []

    table = _run_zoo("plugins")
    assert table.returncode == 0
    for name in ("alpha", "beta", "gamma", "bad"):
        assert name in table.stdout
    assert "failed to import" in table.stdout


def test_zoo_plugins_env_restricts_what_loads(plugin_site):
    toy_plugin(plugin_site, "alpha", {"alpha-toy-one": {}})
    toy_plugin(plugin_site, "beta", {"beta-toy-two": {}})

    plugin_site.activate(only=["beta"])
    assert sorted(get_registry().models) == ["beta-toy-two"]
    assert set(_infos()) == {"zoo_core", "beta"}

    plugin_site.activate(only=["alpha", "beta"])
    assert sorted(get_registry().models) == ["alpha-toy-one", "beta-toy-two"]

    plugin_site.activate(only=[])  # an empty ZOO_PLUGINS loads no plugin at all
    assert get_registry().models == {}
    assert set(_infos()) == {"zoo_core"}


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ("2.0", r"written for zoo plugin API 2\.0, but zoo-core .* provides 1\.\d+; upgrade"),
        ("1.99", r"written for zoo plugin API 1\.99, .*; upgrade zoo-core"),
        (
            "0.3",
            r"written for zoo plugin API 0\.3, .*install a release of the plugin written for "
            r"plugin API 1\.x",
        ),
        ("one", r"ZOO_PLUGIN_API must be a 'MAJOR\.MINOR' string .*not 'one'"),
    ],
)
def test_a_plugin_for_another_plugin_api_is_reported_not_loaded(plugin_site, declared, message):
    toy_plugin(plugin_site, "alpha", {"alpha-toy-one": {}})
    toy_plugin(
        plugin_site, "future", {"future-toy-two": {}}, extra=f"ZOO_PLUGIN_API = {declared!r}\n"
    )
    plugin_site.activate()

    with pytest.warns(PluginWarning, match=r"zoo plugin 'future': " + message):
        registry = get_registry()
    assert sorted(registry.models) == ["alpha-toy-one"]  # the rest of the zoo is unaffected
    assert "future" not in registry.architectures
    infos = _infos()
    assert infos["alpha"].ok and not infos["future"].ok


def test_a_plugin_for_this_plugin_api_or_an_earlier_minor_loads(plugin_site):
    from zoo_core.hookspecs import PLUGIN_API_VERSION

    toy_plugin(
        plugin_site, "now", {"now-toy-one": {}}, extra=f"ZOO_PLUGIN_API = {PLUGIN_API_VERSION!r}\n"
    )
    toy_plugin(plugin_site, "older", {"older-toy-two": {}}, extra='ZOO_PLUGIN_API = "1.0"\n')
    plugin_site.activate()
    assert sorted(get_registry().models) == ["now-toy-one", "older-toy-two"]


def test_hooks_are_called_by_keyword_so_implementations_take_a_subset(plugin_site):
    # An implementation naming none of the hook's arguments is valid pluggy; a positional
    # call would hand it one it does not take.
    extra = "\nCALLED = []\n\n@hookimpl\ndef register_losses():\n    CALLED.append('losses')\n"
    toy_plugin(plugin_site, "alpha", {"alpha-toy-one": {}}, extra=extra)
    plugin_site.activate()
    with warnings.catch_warnings():
        warnings.simplefilter("error", PluginWarning)
        get_registry()
    import zoo_fake_alpha

    assert zoo_fake_alpha.CALLED == ["losses"]
