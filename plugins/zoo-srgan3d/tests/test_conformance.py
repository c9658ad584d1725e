"""The zoo's conformance kit on both model ids, at the ArchSpec's tiny size."""

from __future__ import annotations

from zoo_core.testing import check_plugin, tiny_overrides


def test_plugin_passes_the_conformance_kit():
    checked = check_plugin("srgan3d")
    assert sorted(checked) == ["sanchez-srgan3d", "sanchez-srgan3d-mni152"]


def test_scale_three_passes_the_kit_checks():
    from zoo_core.registry import get_registry
    from zoo_core.testing.kit import check_architecture

    spec = get_registry().model("sanchez-srgan3d")
    check_architecture(spec, [*tiny_overrides(spec), "model.scale_factor=3"])
