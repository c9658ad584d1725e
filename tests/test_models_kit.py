"""The conformance kit over every registered model id, as timm's tests/test_models.py runs
its checks over every model: each id at its architecture's ``ArchSpec.tiny`` config builds,
runs forward and backward, generates within its card, round-trips its weights, trains two
steps through its own trainer and dataset, and each player's loss points down its objective.

A plugin's own tests call ``check_plugin`` for the same checks; this test is where a change
to the core meets every architecture at once.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from zoo_core.plugins import plugin_infos
from zoo_core.registry import get_registry
from zoo_core.testing import check_model, tiny_overrides

MODEL_IDS = sorted(get_registry().models)
ARCHITECTURES = sorted(get_registry().architectures.values(), key=lambda a: a.name)


@pytest.mark.filterwarnings("ignore:.*RANDOM.*:UserWarning")  # the tiny VGG-19s are random
@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_model_passes_the_kit(model_id):
    check_model(model_id)


def test_every_architecture_names_its_tiny_config():
    """Without ArchSpec.tiny the kit would build and train the paper's full-size model."""
    missing = [f"{a.name} ({a.plugin})" for a in ARCHITECTURES if not a.tiny]
    assert not missing, f"name ArchSpec(tiny=[...]) for: {', '.join(missing)}"
    assert all(tiny_overrides(i) for i in MODEL_IDS)


def test_importing_every_plugin_imports_no_torch():
    """What ``zoo list`` does, for all plugins at once (the kit checks each on its own)."""
    modules = sorted({i.module.partition(":")[0] for i in plugin_infos() if i.module})
    code = (
        f"import sys\nfor m in {modules!r}:\n    __import__(m)\n"
        "heavy = [m for m in ('torch', 'monai', 'timm') if m in sys.modules]\n"
        "sys.exit(', '.join(heavy) or 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"{modules}: {result.stderr or result.stdout}"


@pytest.mark.parametrize(
    "overrides",
    [
        ["mode=images", "spatial_size=[16,16]", "channels=3"],
        ["mode=slices", "spatial_size=[16,16]", "intensity=mr"],
        ["mode=blocks", "spatial_size=[8,8,8]", "intensity=ct"],
        ["mode=slices", "spatial_size=[16,16]", "paired=true"],
        ["mode=slices", "spatial_size=[16,16]", "unpaired=true"],
        ["mode=images", "spatial_size=[16,16]", "labels=labels", "label_values=[0,100,200]"],
        ["mode=slices", "spatial_size=[16,16]", "labels=_seg", "num_classes=3"],
    ],
    ids=["images", "slices", "blocks", "paired", "unpaired", "label-folder", "label-suffix"],
)
def test_the_kits_synthetic_folders_are_what_the_core_reads(tmp_path, overrides):
    """Architectures on the core's reader get their example data from the kit."""
    from omegaconf import OmegaConf

    from zoo_core.config import DataConfig
    from zoo_core.data import training_dataset
    from zoo_core.testing import write_core_layout

    cfg = OmegaConf.merge(OmegaConf.structured(DataConfig), OmegaConf.from_dotlist(overrides))
    dataset = training_dataset(cfg, write_core_layout(cfg, tmp_path / "data"))
    item = dataset[0]
    assert len(dataset) >= 2
    assert tuple(item["target"].shape[1:]) == tuple(cfg.spatial_size)
    assert item["target"].shape[0] == cfg.channels and item["target"].std() > 0
    assert ("condition" in item) == cfg.paired and ("source" in item) == cfg.unpaired
    assert ("label" in item) == bool(cfg.labels)


def test_a_tiny_config_is_a_list_of_dotlist_overrides():
    from zoo_core.registry import ArchSpec

    spec = ArchSpec("toy", "m:f", config=dict, tiny=["model.width=4", "data.spatial_size=[8,8]"])
    assert spec.tiny == ("model.width=4", "data.spatial_size=[8,8]") and spec.problem() is None
    for bad in ("model.width=4", ["model.width"], [4]):
        problem = ArchSpec("toy", "m:f", config=dict, tiny=bad).problem()
        assert "must be a list of dotlist overrides" in problem
