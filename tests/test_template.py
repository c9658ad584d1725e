"""The plugin template: `zoo new-plugin` output is a plugin that passes the conformance kit."""

from __future__ import annotations

import tomllib

import pytest
from click.testing import CliRunner
from helpers.example import card_path, render_example, set_card_weights

from zoo_core import cards
from zoo_core.cli import cli
from zoo_core.testing import check_plugin
from zoo_core.testing.kit import ConformanceError


def test_rendered_template_passes_the_conformance_kit(plugin_site):
    model_id = render_example(plugin_site, "tmplgan", author="doe")
    plugin_site.activate()
    # The same call the generated tests/test_tmplgan.py makes (at the ArchSpec's tiny config).
    assert check_plugin("tmplgan") == [model_id]


def test_kit_fails_a_plugin_whose_card_disagrees_with_the_registry(plugin_site):
    model_id = render_example(plugin_site, "oddgan", author="doe")
    path = card_path(plugin_site, "oddgan", model_id)
    card = cards.read(path)
    card.metadata["zoo"]["architecture"] = "othergan"
    path.write_text(card.text())
    plugin_site.activate()
    with pytest.raises(ConformanceError, match="card says architecture 'othergan'"):
        check_plugin("oddgan")
    set_card_weights(path, {"repo_id": "doe/odd", "files": {"model.safetensors": "bad"}})
    with pytest.raises(cards.CardError, match="is not a lower-case sha256"):
        check_plugin("oddgan")
    with pytest.raises(ConformanceError, match="plugin 'nosuchgan' is not installed"):
        check_plugin("nosuchgan")


def test_new_plugin_command_writes_an_installable_package(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        cli, ["new-plugin", "cligan", "--author", "smith", "--dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    project = tmp_path / "zoo-cligan"
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "zoo-cligan"
    assert pyproject["project"]["entry-points"]["zoo"] == {"cligan": "zoo_cligan"}
    assert pyproject["tool"]["setuptools"]["package-data"]["zoo_cligan"] == [
        "configs/*.yaml",
        "model_cards/*.md",
        "weights/**/*",
    ]
    package = project / "zoo_cligan"
    for relative in (
        "__init__.py",
        "config.py",
        "model.py",
        "configs/smith-cligan-example.yaml",
        "model_cards/smith-cligan-example.md",
    ):
        assert (package / relative).is_file(), relative
    init_lines = (package / "__init__.py").read_text().splitlines()
    assert not [line for line in init_lines if line.startswith(("import torch", "from torch"))]
    assert 'check_plugin("cligan"' in (project / "tests" / "test_cligan.py").read_text()
    assert "${" not in "".join(p.read_text() for p in project.rglob("*") if p.is_file())

    again = runner.invoke(cli, ["new-plugin", "cligan", "--dir", str(tmp_path)])
    assert again.exit_code == 1 and "already exists" in again.output
    bad = runner.invoke(cli, ["new-plugin", "My-GAN", "--dir", str(tmp_path)])
    assert bad.exit_code == 1 and "must be lower-case letters and digits" in bad.output


def _broken(
    site, name: str, model_py=None, init_py=None, files: dict[str, str] | None = None
) -> str:
    """A rendered template plugin with one file edited (and ``files`` added, ``{name}`` in
    them filled in): each check of the kit must catch it."""
    model_id = render_example(site, name, author="doe")
    package = site.root / f"zoo-{name}" / f"zoo_{name}"
    for file, edit in (("model.py", model_py), ("__init__.py", init_py)):
        if edit is not None:
            path = package / file
            path.write_text(edit(path.read_text()))
    for file, text in (files or {}).items():
        (package / file).write_text(text.replace("{name}", name))
    site.activate()
    return model_id


def _with_trainer(text: str) -> str:
    """The template's ArchSpec naming the trainer of ``trainer.py`` (see TRAINER)."""
    return text.replace(
        "            config=",
        '            trainer="zoo_{name}.trainer:Edited",\n            config=',
    )


#: A trainer.py whose GANTrainer subclass changes one player's loss by EDIT.
TRAINER = """
from zoo_core.plugin_api import GANTrainer


class Edited(GANTrainer):
    def PLAYER_loss(self, batch):
        loss, logs = super().PLAYER_loss(batch)
        return EDIT, logs
"""


def _trainer(player: str, edit: str) -> dict[str, str]:
    return {"trainer.py": TRAINER.replace("PLAYER", player).replace("EDIT", edit)}


SAMPLE = (
    "        return self.generator(latent(int(n or 1), self.latent_dim, self.device, generator))\n"
)
DISCRIMINATOR = (
    "        self.discriminator = ConvCritic(cfg.channels, cfg.resolution, "
    "base_filters=cfg.base_filters)\n"
)

KIT_FAILURES = {
    "imports torch": (
        None,
        lambda text: text.replace(
            "from __future__ import annotations\n",
            "from __future__ import annotations\n\nimport torch  # at load time\n",
        ),
        "importing zoo_{name} imports torch",
    ),
    "nan output": (
        lambda text: text.replace(SAMPLE, SAMPLE.rstrip() + " * float('nan')\n"),
        None,
        "fake_batch output has NaN or inf",
    ),
    "unreached parameter": (
        lambda text: text.replace(
            DISCRIMINATOR, DISCRIMINATOR + "        self.generator.unused = torch.nn.Linear(2, 2)\n"
        ),
        None,
        r"backward does not reach 2 parameter\(s\): \['generator.unused.weight'",
    ),
    "wrong shape": (
        lambda text: text.replace(
            "cfg.latent_dim, cfg.channels,", "cfg.latent_dim, cfg.channels + 1,"
        ),
        None,
        r"fake_batch gives \(2, 2, 32, 32\), data has \(2, 1, 32, 32\)",
    ),
    "callback signature": (
        None,
        lambda text: text.replace(
            "            config=",
            '            evaluation="zoo_core.plugin_api:latent",\n            config=',
        ),
        r"architecture '{name}' evaluation 'zoo_core.plugin_api:latent' has the signature "
        r"\(n: .*calls it as \(model, real, \*, seed, device\)",
    ),
    "state outside the weights": (
        lambda text: text.replace(
            DISCRIMINATOR,
            DISCRIMINATOR
            + "        self.register_buffer('shift', torch.randn(1), persistent=False)\n",
        ).replace(SAMPLE, SAMPLE.rstrip() + " + self.shift\n"),
        None,
        r"generate\(seed=0\) differs after a weights round trip",
    ),
}


@pytest.mark.parametrize("case", list(KIT_FAILURES))
def test_kit_catches_a_plugin_that_breaks_the_contract(plugin_site, case):
    model_py, init_py, message = KIT_FAILURES[case]
    name = "brk" + "".join(c for c in case if c.isalpha())[:8]
    model_id = _broken(plugin_site, name, model_py, init_py)
    with pytest.raises(ConformanceError, match=message.format(name=name)):
        check_plugin(name, tiny={model_id: ["model.base_filters=8"]})


#: Trainers that train wrongly, and what the kit's training checks say about each.
TRAINING_FAILURES = {
    # -loss: the loss still moves every step (what the hand-written "short run moves the
    # losses" tests checked), but each step climbs the objective instead of descending it.
    "flipped generator loss": (
        _trainer("generator", "-loss"),
        r"step 1 down Edited\.generator_loss raises the generator's objective .*cosine -1\.000",
    ),
    "flipped discriminator loss": (
        _trainer("discriminator", "-loss"),
        r"step 1 down Edited\.discriminator_loss raises the discriminator's objective .*"
        r"cosine -1\.000",
    ),
    "generator never learns": (
        _trainer("generator", "loss * 0"),
        r"2 training steps left every generator weight unchanged",
    ),
    "non-finite loss": (
        _trainer("discriminator", "loss * float('inf')"),
        r"2 training steps failed: TrainingError: step 1: the discriminator loss is inf",
    ),
}


@pytest.mark.parametrize("case", list(TRAINING_FAILURES))
def test_kit_catches_a_trainer_that_trains_wrongly(plugin_site, case):
    files, message = TRAINING_FAILURES[case]
    name = "trn" + "".join(c for c in case if c.isalpha())[:8]
    _broken(plugin_site, name, init_py=lambda text: _with_trainer(text).replace("{name}", name),
            files=files)  # fmt: skip
    with pytest.raises(ConformanceError, match=message):
        check_plugin(name)


def test_the_same_trainer_unflipped_passes(plugin_site):
    """The control for the cases above: the edit, not the trainer subclass, fails them."""
    model_id = _broken(
        plugin_site,
        "trnsame",
        init_py=lambda text: _with_trainer(text).replace("{name}", "trnsame"),
        files=_trainer("generator", "loss"),
    )
    assert check_plugin("trnsame") == [model_id]


def test_rendered_template_is_typed_lint_clean_and_has_no_ceremony(tmp_path):
    """What a plugin author starts from is the smaller plugin: the class is the builder, no
    fake_batch copy, the conventional paths filled by ModelSpec.packaged, networks from the
    core's layers, every function annotated (ruff's ANN rules) and lint-clean on its own."""
    import subprocess
    import sys

    ruff = subprocess.run([sys.executable, "-m", "ruff", "--version"], capture_output=True)
    if ruff.returncode != 0:
        pytest.skip("ruff is not installed")
    project = tmp_path / "zoo-typd"
    assert CliRunner().invoke(cli, ["new-plugin", "typd", "--dir", str(tmp_path)]).exit_code == 0
    model = (project / "zoo_typd" / "model.py").read_text()
    init = (project / "zoo_typd" / "__init__.py").read_text()
    assert "def build" not in model and "def fake_batch" not in model
    assert "from torch import nn" not in model and "nn.Conv" not in model  # the core's layers
    assert 'builder="zoo_typd.model:Typd"' in init and "ModelSpec.packaged(" in init
    assert "ZOO_PLUGIN_API = " in init
    rules = "E,F,W,I,B,UP,SIM,RUF,ANN"
    common = ["--isolated", "--line-length", "100", "--target-version", "py311"]
    lint = [sys.executable, "-m", "ruff", "check", *common, "--select", rules, "."]
    checked = subprocess.run(lint, cwd=project, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    fmt = [sys.executable, "-m", "ruff", "format", *common, "--check", "."]
    formatted = subprocess.run(fmt, cwd=project, capture_output=True, text=True)
    assert formatted.returncode == 0, formatted.stdout
