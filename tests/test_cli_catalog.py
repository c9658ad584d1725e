"""`zoo list`, `zoo info`: what is registered, fast and without torch."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from helpers.fakes import toy_plugin

from zoo_core.cli import cli

HEAVY = ("torch", "monai", "timm")

# Runs the real command line, then reports which heavy libraries the process imported.
_WRAPPER = f"""
import json, sys
from zoo_core.cli import cli
try:
    cli.main(sys.argv[1:], prog_name="zoo")
except SystemExit as exc:
    code = exc.code
heavy = [m for m in {HEAVY!r} if m in sys.modules]
sys.stderr.write("\\nHEAVY=" + json.dumps(heavy) + "\\n")
sys.exit(code)
"""


@pytest.fixture
def catalog(plugin_site):
    toy_plugin(
        plugin_site,
        "alpha",
        {
            "smith-alpha-brainmr": {"modality": "MR", "dims": 2},
            "smith-alpha-headct": {"modality": "CT", "dims": 2},
            "smith-alpha-brainsr": {"modality": "MR", "dims": 3, "task": "super-resolution"},
        },
    )
    toy_plugin(
        plugin_site,
        "beta",
        {
            "jones-beta-brainmr": {"modality": "MR", "dims": 2},
            "jones-beta-retina": {
                "modality": "fundus",
                "weights": {"repo_id": "jones/retina", "files": {"model.safetensors": "c" * 64}},
            },
        },
    )
    plugin_site.activate()
    return plugin_site


def test_zoo_list_filters_without_importing_torch(catalog):
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _WRAPPER,
            "list",
            "smith-*",
            "--modality",
            "MR",
            "--dims",
            "2",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [row["id"] for row in rows] == ["smith-alpha-brainmr"]
    assert rows[0]["plugin"] == "alpha" and rows[0]["weights"] is False
    heavy = json.loads(proc.stderr.rsplit("HEAVY=", 1)[1])
    assert heavy == [], f"`zoo list` imported {heavy}"


def test_zoo_list_with_every_installed_plugin_imports_no_torch(monkeypatch):
    """The first-party plugins (and any other installed one) keep torch out of `zoo list`."""
    monkeypatch.delenv("ZOO_PLUGINS", raising=False)
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert isinstance(json.loads(proc.stdout), list)
    heavy = json.loads(proc.stderr.rsplit("HEAVY=", 1)[1])
    assert heavy == [], f"`zoo list` imported {heavy}"


def test_zoo_list_table_and_facets(catalog):
    runner = CliRunner()
    table = runner.invoke(cli, ["list"])
    assert table.exit_code == 0, table.output
    assert "5 model(s)" in table.output
    retina = next(line for line in table.output.splitlines() if "jones-beta-retina" in line)
    assert "published" in retina and "fundus" in retina
    headct = next(line for line in table.output.splitlines() if "smith-alpha-headct" in line)
    assert "published" not in headct

    def ids(*args: str) -> list[str]:
        result = runner.invoke(cli, ["list", *args, "--json"])
        assert result.exit_code == 0, result.output
        return [row["id"] for row in json.loads(result.output)]

    assert ids("--task", "super-resolution") == ["smith-alpha-brainsr"]
    assert ids("--dims", "3") == ["smith-alpha-brainsr"]
    assert ids("--arch", "beta") == ["jones-beta-brainmr", "jones-beta-retina"]
    assert ids("--pretrained") == ["jones-beta-retina"]
    assert ids("*-brainmr", "*-headct") == [
        "jones-beta-brainmr",
        "smith-alpha-brainmr",
        "smith-alpha-headct",
    ]
    empty = runner.invoke(cli, ["list", "nothing-*"])
    assert "0 model(s)" in empty.output and "No model matches" in empty.output
    assert runner.invoke(cli, ["list", "--dims", "4"]).exit_code == 2  # click refuses it


def test_zoo_info_renders_the_card(catalog):
    runner = CliRunner()
    result = runner.invoke(cli, ["info", "jones-beta-retina"])
    assert result.exit_code == 0, result.output
    for text in (
        "jones-beta-retina",
        "A toy paper (2020)",
        "fundus / unconditional-generation",
        "2D / [16, 16]",
        "jones/retina@main",
        "A toy model card.",
    ):
        assert text in result.output
    assert "none published" in runner.invoke(cli, ["info", "smith-alpha-headct"]).output
    raw = runner.invoke(cli, ["info", "smith-alpha-headct", "--raw"])
    assert raw.output.startswith("---\n") and "modality: CT" in raw.output


BOX_DRAWING = re.compile("[\u2500-\u257f]")  # rich's table and panel borders


def test_info_and_plugins_print_plain_text_into_pipes(catalog):
    """Off a terminal (CliRunner's stdout is none) the tables are plain columns, like
    `zoo list`'s, and the card is its Markdown: no box drawing, no padding to 80 columns."""
    runner = CliRunner()
    info = runner.invoke(cli, ["info", "jones-beta-retina"])
    assert info.exit_code == 0, info.output
    lines = info.stdout.splitlines()
    assert lines[:2] == ["jones-beta-retina", "field              value"]
    assert set(lines[2]) == {"-", " "}
    assert "weights            jones/retina@main" in lines
    assert "A toy model card." in info.stdout and not BOX_DRAWING.search(info.stdout)
    assert all(line == line.rstrip() for line in lines)

    plugins = runner.invoke(cli, ["plugins"])
    assert plugins.exit_code == 0, plugins.output
    lines = plugins.stdout.splitlines()
    assert re.fullmatch(r"\d+ plugin\(s\)", lines[0])
    assert lines[1].split() == ["plugin", "version", "module", "hooks", "status"]
    alpha = next(line for line in lines if line.startswith("alpha "))
    assert alpha.split()[-1] == "ok" and "register_models" in alpha
    assert not BOX_DRAWING.search(plugins.stdout)


def test_zoo_info_unknown_id_is_one_line_with_suggestions(catalog):
    result = CliRunner().invoke(cli, ["info", "smith-alpha-headt"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: Unknown model id 'smith-alpha-headt'. Did you mean: smith-alpha-headct, "
        + result.output.strip().split("smith-alpha-headct, ", 1)[1]
    )
    assert "Traceback" not in result.output
